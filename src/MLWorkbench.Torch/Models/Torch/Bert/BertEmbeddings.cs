using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch.Bert;

/// <summary>
/// BERT's input embeddings: word + learned position + token type, then LayerNorm and dropout. Field names are
/// Hugging Face's, so parameters are named <c>word_embeddings.weight</c>, <c>LayerNorm.bias</c>, ...
/// </summary>
internal sealed class BertEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // Parameter names follow Hugging Face's checkpoints.
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
#pragma warning restore IDE1006

    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabularySize, config.HiddenSize, padding_idx: 0);
        position_embeddings = nn.Embedding(config.MaxPositions, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabularySize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEpsilon);
        dropout = nn.Dropout(config.Dropout);
        RegisterComponents();
    }

    /// <summary>[batch, sequence] ids and token types → [batch, sequence, hidden].</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        var positions = arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        var sum = word_embeddings.call(inputIds) + token_type_embeddings.call(tokenTypeIds) + position_embeddings.call(positions);
        return dropout.call(LayerNorm.call(sum)).MoveToOuterDisposeScope();
    }
}
