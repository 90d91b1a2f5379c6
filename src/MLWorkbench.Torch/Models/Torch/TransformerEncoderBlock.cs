using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>
/// One pre-norm Transformer encoder block over [batch, tokens, dim]: LayerNorm → multi-head self-attention → residual,
/// then LayerNorm → GELU MLP → residual, with dropout on the attention weights and on each branch. The Vision
/// Transformer and the text Transformer share it; <c>forward(x, additiveMask)</c> takes an optional additive key mask
/// [batch, 1, 1, tokens] (see <see cref="AdditiveKeyMask"/>) so that text padding gets no attention.
/// </summary>
internal sealed class TransformerEncoderBlock : nn.Module<Tensor, Tensor?, Tensor>
{
    // The field names are the state_dict keys (layers.N.norm1.weight, …); the creation order fixes which random
    // numbers each weight gets for a seed, so both stay as they were when each network had its own copy.
    private readonly LayerNorm norm1;
    private readonly Linear qkv;
    private readonly Linear projection;
    private readonly LayerNorm norm2;
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Dropout dropout;
    private readonly int heads;

    public TransformerEncoderBlock(int dim, int heads, int mlpDim, double dropoutRate) : base(nameof(TransformerEncoderBlock))
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

    /// <summary>
    /// The additive key mask for a 0/1 padding mask [batch, tokens]: padding keys get a large negative score before the
    /// softmax, so no attention and no -inf arithmetic. Shape [batch, 1, 1, tokens], of <paramref name="dtype"/>.
    /// </summary>
    public static Tensor AdditiveKeyMask(Tensor mask, ScalarType dtype) => ((1 - mask.to_type(dtype)) * -1e9f).unsqueeze(1).unsqueeze(2);

    public override Tensor forward(Tensor x, Tensor? additiveMask)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens, dim) = (x.shape[0], x.shape[1], x.shape[2]);
        var parts = qkv.call(norm1.call(x)).view(batch, tokens, 3, heads, dim / heads).permute(2, 0, 3, 1, 4);
        var (q, k, v) = (parts[0], parts[1], parts[2]);
        var scores = matmul(q, k.transpose(-2, -1)) / Math.Sqrt(dim / heads);
        var attention = softmax(additiveMask is null ? scores : scores + additiveMask, -1);
        var mixed = matmul(dropout.call(attention), v).transpose(1, 2).reshape(batch, tokens, dim);
        x = x + dropout.call(projection.call(mixed));
        x = x + dropout.call(fc2.call(dropout.call(nn.functional.gelu(fc1.call(norm2.call(x))))));
        return x.MoveToOuterDisposeScope();
    }
}
