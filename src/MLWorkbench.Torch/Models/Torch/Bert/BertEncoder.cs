using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch.Bert;

/// <summary>
/// A BERT encoder (embeddings, then <see cref="BertConfig.Layers"/> post-LayerNorm transformer layers) whose
/// <c>forward(input_ids, attention_mask, token_type_ids)</c> returns <c>last_hidden_state</c>
/// [batch, sequence, hidden]. Inputs are int64 [batch, sequence]; the mask is 1 for real tokens and 0 for padding.
/// Parameter names are Hugging Face's (<c>encoder.layer.0.attention.self.query.weight</c>, ...), so pretrained
/// weights map one to one: see <see cref="BertWeights"/>. Call <c>eval()</c> for inference (no dropout).
/// </summary>
internal sealed class BertEncoder : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // Field names follow Hugging Face's checkpoints.
    private readonly BertEmbeddings embeddings;
    private readonly BertLayerStack encoder;
#pragma warning restore IDE1006

    /// <summary>A randomly initialised encoder of the given shape (load weights with <see cref="BertWeights"/>).</summary>
    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertLayerStack(config);
        RegisterComponents();
    }

    /// <summary>The encoder's shape.</summary>
    public BertConfig Config { get; }

    /// <summary>
    /// <c>last_hidden_state</c> [batch, sequence, hidden] for int64 <paramref name="inputIds"/>,
    /// <paramref name="attentionMask"/> and <paramref name="tokenTypeIds"/>, each [batch, sequence].
    /// </summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        if (inputIds.shape[1] > Config.MaxPositions)
            throw new ArgumentException($"Sequences of {inputIds.shape[1]} tokens exceed the {Config.MaxPositions} positions of this encoder.", nameof(inputIds));
        using var scope = NewDisposeScope();
        var hidden = embeddings.call(inputIds, tokenTypeIds);
        // Padding gets the most negative float before the softmax: zero attention, but no -inf arithmetic.
        var additiveMask = (1 - attentionMask.to_type(hidden.dtype)).mul(finfo(hidden.dtype).min).unsqueeze(1).unsqueeze(2);
        return encoder.call(hidden, additiveMask).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean of the token vectors where <paramref name="attentionMask"/> is 1: [batch, sequence, hidden] →
    /// [batch, hidden] (sentence-transformers' mean pooling; normalise it for cosine similarity).
    /// </summary>
    public static Tensor MeanPool(Tensor lastHiddenState, Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(lastHiddenState);
        ArgumentNullException.ThrowIfNull(attentionMask);
        using var scope = NewDisposeScope();
        var mask = attentionMask.to_type(lastHiddenState.dtype).unsqueeze(-1);
        var sum = (lastHiddenState * mask).sum(1);
        var count = mask.sum(1).clamp_min(1e-9);
        return (sum / count).MoveToOuterDisposeScope();
    }

    /// <summary>The transformer layers, registered as <c>encoder.layer.{i}</c>.</summary>
    private sealed class BertLayerStack : nn.Module<Tensor, Tensor, Tensor>
    {
#pragma warning disable IDE1006
        private readonly ModuleList<BertLayer> layer;
#pragma warning restore IDE1006

        public BertLayerStack(BertConfig config) : base(nameof(BertLayerStack))
        {
            layer = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new BertLayer(config)).ToArray());
            RegisterComponents();
        }

        public override Tensor forward(Tensor hidden, Tensor additiveMask)
        {
            using var scope = NewDisposeScope();
            foreach (var block in layer) hidden = block.call(hidden, additiveMask);
            return hidden.MoveToOuterDisposeScope();
        }
    }
}
