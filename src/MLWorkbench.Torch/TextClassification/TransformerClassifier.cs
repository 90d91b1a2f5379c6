using MLWorkbench.Models.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;

[assembly: TorchNetwork<MLWorkbench.TextClassification.TransformerClassifier>]

namespace MLWorkbench.TextClassification;

/// <summary>
/// A Transformer encoder text classifier trained from scratch: token + learned position embeddings, pre-norm encoder
/// layers (multi-head self-attention that ignores padding, GELU MLP), final LayerNorm, mean over the real tokens,
/// linear head. <c>forward(ids, mask)</c> takes int64 ids and a 0/1 float mask, both [batch, tokens].
/// </summary>
internal sealed class TransformerClassifier : nn.Module<Tensor, Tensor, Tensor>, INetwork<TextNetworkSpec>, IRegisteredNetwork
{
    private readonly Embedding tokens;
    private readonly Embedding positions;
    private readonly Dropout dropout;
    private readonly ModuleList<TransformerEncoderBlock> layers;
    private readonly LayerNorm norm;
    private readonly Linear head;

    public TransformerClassifier(int vocabulary, int classes, int maxTokens, int dim, int depth, int heads, double dropoutRate)
        : base(nameof(TransformerClassifier))
    {
        Spec = new TextNetworkSpec("transformer", vocabulary, classes, dim, Depth: depth, Heads: heads, MaxTokens: maxTokens, Dropout: dropoutRate);
        tokens = nn.Embedding(vocabulary, dim, padding_idx: 0);
        positions = nn.Embedding(maxTokens, dim);
        dropout = nn.Dropout(dropoutRate);
        layers = nn.ModuleList(Enumerable.Range(0, depth).Select(_ => new TransformerEncoderBlock(dim, heads, dim * 2, dropoutRate)).ToArray());
        norm = nn.LayerNorm(dim);
        head = nn.Linear(dim, classes);
        RegisterComponents();
    }

    /// <inheritdoc />
    public TextNetworkSpec Spec { get; }

    /// <summary>Its registration: <c>transformer</c>, whose dominant layers are the token and position embeddings, encoder layers and head.</summary>
    public static IEnumerable<INetworkArchitecture> Architectures =>
    [
        new NetworkArchitecture<TextNetworkSpec, nn.Module<Tensor, Tensor, Tensor>>("transformer",
            s => (double)s.Vocabulary * s.Width + (double)s.MaxTokens * s.Width + s.Depth * 4.0 * s.Width * s.Width + (double)s.Width * s.Classes,
            s => s.Depth >= 1 && s.Heads >= 1 && s.MaxTokens >= 1
                ? new TransformerClassifier(s.Vocabulary, s.Classes, s.MaxTokens, s.Width, s.Depth, s.Heads, s.Dropout)
                : throw new InvalidDataException($"unknown or incomplete text network 'transformer'")),
    ];

    public override Tensor forward(Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var position = arange(ids.shape[1], dtype: ScalarType.Int64, device: ids.device).unsqueeze(0);
        var h = dropout.call(tokens.call(ids) + positions.call(position));
        var additive = TransformerEncoderBlock.AdditiveKeyMask(mask, h.dtype);
        foreach (var layer in layers) h = layer.call(h, additive);
        return head.call(TextPooling.MaskedMean(norm.call(h), mask)).MoveToOuterDisposeScope();
    }

}
