using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLWorkbench.TextClassification;

/// <summary>
/// A Transformer encoder text classifier trained from scratch: token + learned position embeddings, pre-norm encoder
/// layers (multi-head self-attention that ignores padding, GELU MLP), final LayerNorm, mean over the real tokens,
/// linear head. <c>forward(ids, mask)</c> takes int64 ids and a 0/1 float mask, both [batch, tokens].
/// </summary>
internal sealed class TransformerClassifier : nn.Module<Tensor, Tensor, Tensor>, ITextNetwork
{
    private readonly Embedding tokens;
    private readonly Embedding positions;
    private readonly Dropout dropout;
    private readonly ModuleList<EncoderLayer> layers;
    private readonly LayerNorm norm;
    private readonly Linear head;

    public TransformerClassifier(int vocabulary, int classes, int maxTokens, int dim, int depth, int heads, double dropoutRate)
        : base(nameof(TransformerClassifier))
    {
        Spec = new TextNetworkSpec("transformer", vocabulary, classes, dim, Depth: depth, Heads: heads, MaxTokens: maxTokens, Dropout: dropoutRate);
        tokens = nn.Embedding(vocabulary, dim, padding_idx: 0);
        positions = nn.Embedding(maxTokens, dim);
        dropout = nn.Dropout(dropoutRate);
        layers = nn.ModuleList(Enumerable.Range(0, depth).Select(_ => new EncoderLayer(dim, heads, dim * 2, dropoutRate)).ToArray());
        norm = nn.LayerNorm(dim);
        head = nn.Linear(dim, classes);
        RegisterComponents();
    }

    /// <inheritdoc />
    public TextNetworkSpec Spec { get; }

    public override Tensor forward(Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var position = arange(ids.shape[1], dtype: ScalarType.Int64, device: ids.device).unsqueeze(0);
        var h = dropout.call(tokens.call(ids) + positions.call(position));
        // Padding keys get a large negative score before the softmax: no attention, no -inf arithmetic.
        var additive = ((1 - mask.to_type(h.dtype)) * -1e9f).unsqueeze(1).unsqueeze(2);
        foreach (var layer in layers) h = layer.call(h, additive);
        return head.call(TextPooling.MaskedMean(norm.call(h), mask)).MoveToOuterDisposeScope();
    }

    /// <summary>One pre-norm encoder layer over [batch, tokens, dim] with an additive key mask [batch, 1, 1, tokens].</summary>
    private sealed class EncoderLayer : nn.Module<Tensor, Tensor, Tensor>
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

        public override Tensor forward(Tensor x, Tensor additiveMask)
        {
            using var scope = NewDisposeScope();
            var (batch, length, dim) = (x.shape[0], x.shape[1], x.shape[2]);
            var parts = qkv.call(norm1.call(x)).view(batch, length, 3, heads, dim / heads).permute(2, 0, 3, 1, 4);
            var (q, k, v) = (parts[0], parts[1], parts[2]);
            var attention = softmax(matmul(q, k.transpose(-2, -1)) / Math.Sqrt(dim / heads) + additiveMask, -1);
            var mixed = matmul(dropout.call(attention), v).transpose(1, 2).reshape(batch, length, dim);
            x = x + dropout.call(projection.call(mixed));
            x = x + dropout.call(fc2.call(dropout.call(nn.functional.gelu(fc1.call(norm2.call(x))))));
            return x.MoveToOuterDisposeScope();
        }
    }
}
