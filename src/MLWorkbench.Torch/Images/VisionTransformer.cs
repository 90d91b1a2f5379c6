using MLWorkbench.Models.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

[assembly: TorchNetwork<MLWorkbench.Images.VisionTransformer>]

namespace MLWorkbench.Images;

/// <summary>
/// A Vision Transformer: patches embedded by a strided convolution, a class token, learned position embeddings,
/// pre-norm encoder layers (multi-head self-attention and a GELU MLP), a final LayerNorm and a linear head on the
/// class token.
/// </summary>
internal sealed class VisionTransformer : nn.Module<Tensor, Tensor>, INetwork<ImageNetworkSpec>, IRegisteredNetwork
{
    private readonly Conv2d patchEmbedding;
    private readonly Parameter classToken;
    private readonly Parameter positions;
    private readonly Dropout dropout;
    private readonly ModuleList<TransformerEncoderBlock> layers;
    private readonly LayerNorm norm;
    private readonly Linear head;

    public VisionTransformer(int channels, int classes, int imageSize, int patchSize = 4, int dim = 64, int depth = 4, int heads = 4,
        int mlpDim = 128, double dropoutRate = 0.1) : base(nameof(VisionTransformer))
    {
        Spec = new ImageNetworkSpec("vit", channels, classes, imageSize, patchSize, dim, depth, heads, mlpDim, dropoutRate);
        var patches = (imageSize / patchSize) * (imageSize / patchSize);
        patchEmbedding = nn.Conv2d(channels, dim, patchSize, stride: patchSize);
        classToken = nn.Parameter(zeros(1, 1, dim));
        positions = nn.Parameter(randn(1, patches + 1, dim) * 0.02);
        dropout = nn.Dropout(dropoutRate);
        layers = nn.ModuleList(Enumerable.Range(0, depth).Select(_ => new TransformerEncoderBlock(dim, heads, mlpDim, dropoutRate)).ToArray());
        norm = nn.LayerNorm(dim);
        head = nn.Linear(dim, classes);
        RegisterComponents();
    }

    /// <inheritdoc />
    public ImageNetworkSpec Spec { get; }

    /// <summary>Its registration: <c>vit</c>, whose dominant layers are the patch embedding, positions, encoder layers and head.</summary>
    public static IEnumerable<INetworkArchitecture> Architectures =>
    [
        new NetworkArchitecture<ImageNetworkSpec, nn.Module<Tensor, Tensor>>("vit",
            s => (double)s.Channels * s.PatchSize * s.PatchSize * s.Width + Math.Pow(s.ImageSize / Math.Max(1.0, s.PatchSize), 2) * s.Width
                 + s.Depth * (4.0 * s.Width * s.Width + 2.0 * s.Width * s.MlpDim) + (double)s.Width * s.Classes,
            s => s.ImageSize >= s.PatchSize && s.PatchSize >= 1 && s.Heads >= 1
                ? new VisionTransformer(s.Channels, s.Classes, s.ImageSize, s.PatchSize, s.Width, s.Depth, s.Heads, s.MlpDim, s.Dropout)
                : throw new InvalidDataException($"incomplete image network 'vit' ({s})")),
    ];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var tokens = patchEmbedding.call(x).flatten(2).transpose(1, 2);
        var cls = classToken.expand(tokens.shape[0], -1, -1);
        var h = dropout.call(cat([cls, tokens], 1) + positions);
        foreach (var layer in layers) h = layer.call(h, null);
        return head.call(norm.call(h.select(1, 0))).MoveToOuterDisposeScope();
    }

}
