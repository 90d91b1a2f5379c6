using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLWorkbench.TextClassification;

/// <summary>
/// A recurrent text classifier: token embedding → (bidirectional) GRU → mean over the real tokens → dropout → linear.
/// <c>forward(ids, mask)</c> takes int64 ids and a 0/1 float mask, both [batch, tokens], and returns class logits.
/// </summary>
internal sealed class GruClassifier : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly GRU gru;
    private readonly Dropout dropout;
    private readonly Linear head;

    public GruClassifier(int vocabulary, int classes, int embeddingDim, int hidden, int layers, bool bidirectional, double dropoutRate)
        : base(nameof(GruClassifier))
    {
        embedding = nn.Embedding(vocabulary, embeddingDim, padding_idx: 0);
        gru = nn.GRU(embeddingDim, hidden, layers, batchFirst: true, dropout: layers > 1 ? dropoutRate : 0, bidirectional: bidirectional);
        dropout = nn.Dropout(dropoutRate);
        head = nn.Linear(hidden * (bidirectional ? 2 : 1), classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var (output, _) = gru.call(dropout.call(embedding.call(ids)), null);
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
