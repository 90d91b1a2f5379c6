using MLWorkbench.AutoML;
using MLWorkbench.Bundles;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Similarity;

/// <summary>
/// The sentence-similarity candidates, registered once: each with its search space (trees and leaves for the lexical
/// models; learning rate, epochs, batch size and pooling for fine-tuned MiniLM) and a cheap starting point. Comparisons
/// offer them all (<see cref="SimilarityCandidates"/>); a search leaves <c>nasbert-similarity</c> out unless it is
/// named: it runs only where its weight files exist.
/// </summary>
internal static class SimilarityTrainers
{
    /// <summary>
    /// The trainers whose defaults a search over every trainer tries first, before the sampler: lexical features into
    /// LightGBM (seconds), MiniLM as it is, and MiniLM fine-tuned as a bi-encoder (skipped where its weights are missing).
    /// </summary>
    public static IReadOnlyList<string> Portfolio { get; } = ["lexical-lightgbm", "minilm-zeroshot", "minilm-biencoder"];

    /// <summary>Every sentence-similarity trainer, cheapest first.</summary>
    public static IReadOnlyList<TrainerDefinition<SentencePairs>> All { get; } =
    [
        Lexical("lexical-fasttree", LexicalTrainer.FastTree),
        Lexical("lexical-lightgbm", LexicalTrainer.LightGbm),
        // MiniLM as it is (minilm-zeroshot), when MLWorkbench.Onnx is referenced; MiniLM fine-tuned (minilm-biencoder,
        // minilm-crossencoder) and nasbert-similarity, when MLWorkbench.Torch is.
        .. ExtensionRegistry.Default.Trainers<SentencePairs>(),
    ];

    private static TrainerDefinition<SentencePairs> Lexical(string name, LexicalTrainer trainer) => new(name, ModelFamily.MlNet, TaskKind.SentenceSimilarity,
        new SearchSpace(name,
            [
                new IntDomain("trees", 50, 1000, Log: true), new IntDomain("leaves", 4, 64, Log: true), new FloatDomain("learningRate", 0.01, 0.3, Log: true),
                new IntDomain("minimumExamplesPerLeaf", 2, 50, Log: true),
            ],
            SearchPoint.Of(("trees", 100), ("leaves", 15), ("learningRate", 0.1), ("minimumExamplesPerLeaf", 10)), 1),
        values =>
        {
            var p = new ParameterValues(values);
            var defaults = new LexicalOptions();
            return SimilarityCandidates.Lexical(trainer, defaults with
            {
                Trees = p.Int("trees") ?? defaults.Trees,
                Leaves = p.Int("leaves") ?? defaults.Leaves,
                LearningRate = p.Double("learningRate") ?? defaults.LearningRate,
                MinimumExamplesPerLeaf = p.Int("minimumExamplesPerLeaf") ?? defaults.MinimumExamplesPerLeaf,
            });
        });
}
