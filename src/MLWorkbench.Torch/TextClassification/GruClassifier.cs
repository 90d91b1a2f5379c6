using MLWorkbench.Models.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

[assembly: TorchNetwork<MLWorkbench.TextClassification.GruClassifier>]

namespace MLWorkbench.TextClassification;

/// <summary>
/// A recurrent text classifier: token embedding → (bidirectional) GRU or LSTM → mean over the real tokens → dropout →
/// linear. The network reads a text word piece by word piece, carrying a state forward (the RNN of the introduction
/// reading "what time is it?"); the LSTM adds a separate memory cell and an output gate to the GRU's two gates.
/// <c>forward(ids, mask)</c> takes int64 ids and a 0/1 float mask, both [batch, tokens], and returns class logits.
/// </summary>
internal sealed class GruClassifier : nn.Module<Tensor, Tensor, Tensor>, INetwork<TextNetworkSpec>, IRegisteredNetwork
{
    private readonly Embedding embedding;
    private readonly GRU? gru;
    private readonly LSTM? lstm;
    private readonly Dropout dropout;
    private readonly Linear head;

    public GruClassifier(int vocabulary, int classes, int embeddingDim, int hidden, int layers, bool bidirectional, double dropoutRate, bool longShortTermMemory = false)
        : base(nameof(GruClassifier))
    {
        Spec = new TextNetworkSpec(longShortTermMemory ? "lstm" : "gru", vocabulary, classes, embeddingDim, Hidden: hidden, Depth: layers,
            Bidirectional: bidirectional, Dropout: dropoutRate);
        embedding = nn.Embedding(vocabulary, embeddingDim, padding_idx: 0);
        var between = layers > 1 ? dropoutRate : 0;
        if (longShortTermMemory) lstm = nn.LSTM(embeddingDim, hidden, layers, batchFirst: true, dropout: between, bidirectional: bidirectional);
        else gru = nn.GRU(embeddingDim, hidden, layers, batchFirst: true, dropout: between, bidirectional: bidirectional);
        dropout = nn.Dropout(dropoutRate);
        head = nn.Linear(hidden * (bidirectional ? 2 : 1), classes);
        RegisterComponents();
    }

    /// <inheritdoc />
    public TextNetworkSpec Spec { get; }

    /// <summary>Its registration: <c>gru</c> and <c>lstm</c>, whose dominant layers are the embedding, recurrent matrices and head.</summary>
    public static IEnumerable<INetworkArchitecture> Architectures => [Recurrent("gru"), Recurrent("lstm")];

    private static NetworkArchitecture<TextNetworkSpec, nn.Module<Tensor, Tensor, Tensor>> Recurrent(string name) => new(name,
        s => (double)s.Vocabulary * s.Width + s.Depth * (s.Bidirectional ? 2 : 1) * 3.0 * s.Hidden * s.Hidden + (double)s.Hidden * s.Classes,
        s => s.Hidden >= 1 && s.Depth >= 1
            ? new GruClassifier(s.Vocabulary, s.Classes, s.Width, s.Hidden, s.Depth, s.Bidirectional, s.Dropout, longShortTermMemory: name == "lstm")
            : throw new InvalidDataException($"unknown or incomplete text network '{name}'"));

    public override Tensor forward(Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var embedded = dropout.call(embedding.call(ids));
        var output = gru is not null ? gru.call(embedded, null).Item1 : lstm!.call(embedded, null).Item1;
        return head.call(dropout.call(TextPooling.MaskedMean(output, mask))).MoveToOuterDisposeScope();
    }
}

/// <summary>Pooling over token positions that respects padding.</summary>
internal static class TextPooling
{
    /// <summary>Mean of [batch, tokens, width] over the positions where <paramref name="mask"/> [batch, tokens] is 1.</summary>
    public static Tensor MaskedMean(Tensor hidden, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var m = mask.to_type(hidden.dtype).unsqueeze(-1);
        return ((hidden * m).sum(1) / m.sum(1).clamp_min(1)).MoveToOuterDisposeScope();
    }
}
