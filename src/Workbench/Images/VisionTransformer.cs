using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLWorkbench.Images;

/// <summary>
/// A Vision Transformer: patches embedded by a strided convolution, a class token, learned position embeddings,
/// pre-norm encoder layers (multi-head self-attention and a GELU MLP), a final LayerNorm and a linear head on the
/// class token.
/// </summary>
internal sealed class VisionTransformer : nn.Module<Tensor, Tensor>, IImageNetwork
{
    private readonly Conv2d patchEmbedding;
    private readonly Parameter classToken;
    private readonly Parameter positions;
    private readonly Dropout dropout;
    private readonly ModuleList<EncoderLayer> layers;
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
        layers = nn.ModuleList(Enumerable.Range(0, depth).Select(_ => new EncoderLayer(dim, heads, mlpDim, dropoutRate)).ToArray());
        norm = nn.LayerNorm(dim);
        head = nn.Linear(dim, classes);
        RegisterComponents();
    }

    /// <inheritdoc />
    public ImageNetworkSpec Spec { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var tokens = patchEmbedding.call(x).flatten(2).transpose(1, 2);
        var cls = classToken.expand(tokens.shape[0], -1, -1);
        var h = dropout.call(cat([cls, tokens], 1) + positions);
        foreach (var layer in layers) h = layer.call(h);
        return head.call(norm.call(h.select(1, 0))).MoveToOuterDisposeScope();
    }

    /// <summary>One pre-norm transformer encoder layer over [batch, tokens, dim].</summary>
    private sealed class EncoderLayer : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm norm1;
        private readonly Linear qkv;
        private readonly Linear projection;
        private readonly LayerNorm norm2;
        private readonly Linear fc1;
        private readonly Linear fc2;
        private readonly Dropout dropout;
        private readonly int heads;

        public EncoderLayer(int dim, int heads, int mlpDim, double dropoutRate) : base(nameof(EncoderLayer))
        {
            this.heads = heads;
            norm1 = nn.LayerNorm(dim);
            qkv = nn.Linear(dim, 3 * dim);
            projection = nn.Linear(dim, dim);
            norm2 = nn.LayerNorm(dim);
            fc1 = nn.Linear(dim, mlpDim);
            fc2 = nn.Linear(mlpDim, dim);
            dropout = nn.Dropout(dropoutRate);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var (batch, tokens, dim) = (x.shape[0], x.shape[1], x.shape[2]);
            var parts = qkv.call(norm1.call(x)).view(batch, tokens, 3, heads, dim / heads).permute(2, 0, 3, 1, 4);
            var (q, k, v) = (parts[0], parts[1], parts[2]);
            var attention = softmax(matmul(q, k.transpose(-2, -1)) / Math.Sqrt(dim / heads), -1);
            var mixed = matmul(dropout.call(attention), v).transpose(1, 2).reshape(batch, tokens, dim);
            x = x + dropout.call(projection.call(mixed));
            x = x + dropout.call(fc2.call(dropout.call(nn.functional.gelu(fc1.call(norm2.call(x))))));
            return x.MoveToOuterDisposeScope();
        }
    }
}
