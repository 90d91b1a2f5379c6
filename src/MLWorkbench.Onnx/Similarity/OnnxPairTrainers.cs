using MLWorkbench.AutoML;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Similarity;

/// <summary>MiniLM's zero-shot sentence similarity, registered by <see cref="OnnxExtension"/> after the lexical candidates.</summary>
internal static class OnnxPairCandidates
{
    /// <summary>The cosine of packaged all-MiniLM-L6-v2 embeddings, untrained (<c>minilm-zeroshot</c>).</summary>
    /// <param name="maxLength">Most tokens per sentence.</param>
    public static ICandidate<SentencePairs> ZeroShot(int maxLength = 128) => new MiniLmZeroShotCandidate(maxLength);

    /// <summary>Every MiniLM sentence-similarity trainer of this package.</summary>
    public static IReadOnlyList<TrainerDefinition<SentencePairs>> All { get; } =
    [
        // The pretrained model as it is: nothing to tune.
        new("minilm-zeroshot", ModelFamily.Onnx, TaskKind.SentenceSimilarity, new SearchSpace("minilm-zeroshot", [], SearchPoint.Of(), 5), _ => ZeroShot()),
    ];
}
