using MLWorkbench.AutoML;
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
        // The pretrained model as it is: nothing to tune.
        new("minilm-zeroshot", ModelFamily.Onnx, TaskKind.SentenceSimilarity, new SearchSpace("minilm-zeroshot", [], SearchPoint.Of(), 5), _ => SimilarityCandidates.ZeroShot()),
        FineTuned("minilm-biencoder", 60, SimilarityCandidates.BiEncoder),
        FineTuned("minilm-crossencoder", 80, SimilarityCandidates.CrossEncoder),
        new("nasbert-similarity", ModelFamily.Torch, TaskKind.SentenceSimilarity, new SearchSpace("nasbert-similarity", [], SearchPoint.Of(), 100),
            _ => new NasBertSimilarityCandidate()) { SearchedByDefault = false },
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

    private static TrainerDefinition<SentencePairs> FineTuned(string name, double cost, Func<MiniLmFineTuneOptions, ICandidate<SentencePairs>> create) =>
        new(name, ModelFamily.Torch, TaskKind.SentenceSimilarity,
            new SearchSpace(name,
                [
                    new FloatDomain("learningRate", 1e-5, 1e-4, Log: true), new IntDomain("epochs", 1, 4), new ChoiceDomain("batchSize", ["8", "16", "32"]),
                    new ChoiceDomain("pooling", ["mean", "cls"]),
                ],
                SearchPoint.Of(("learningRate", 2e-5), ("epochs", 1), ("batchSize", "16"), ("pooling", "mean")), cost),
            values =>
            {
                var p = new ParameterValues(values);
                var defaults = new MiniLmFineTuneOptions();
                return create(defaults with
                {
                    LearningRate = p.Double("learningRate") ?? defaults.LearningRate,
                    Epochs = p.Int("epochs") ?? defaults.Epochs,
                    BatchSize = p.Int("batchSize") ?? defaults.BatchSize,
                    Pooling = p.String("pooling") is { } pooling ? (pooling == "cls" ? SentencePooling.Cls : SentencePooling.Mean) : defaults.Pooling,
                    // Not searched: the final refit sets it to the selected epochs, so that nothing stops early.
                    Patience = p.Int("patience") ?? defaults.Patience,
                    // Not searched either: budgets for a quick look on a slow machine (benchmarks/Similarity).
                    MaxLength = p.Int("maxLength") ?? defaults.MaxLength,
                    EvaluationsPerEpoch = p.Int("evaluationsPerEpoch") ?? defaults.EvaluationsPerEpoch,
                    MaxTrainPairs = p.Int("maxTrainPairs") ?? defaults.MaxTrainPairs,
                });
            });
}
