using MLWorkbench.AutoML;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Similarity;

/// <summary>
/// The TorchSharp sentence-similarity candidates (MiniLM fine-tuned as a bi-encoder and as a cross-encoder, NAS-BERT) with
/// their search spaces, registered by <see cref="TorchExtension"/> after the lexical and zero-shot ones.
/// </summary>
internal static class TorchPairCandidates
{
    /// <summary>all-MiniLM-L6-v2 fine-tuned as a bi-encoder with the cosine-similarity loss (<c>minilm-biencoder</c>).</summary>
    public static ICandidate<SentencePairs> BiEncoder(MiniLmFineTuneOptions options) => new MiniLmBiEncoderCandidate(options);

    /// <summary>all-MiniLM-L6-v2 fine-tuned as a cross-encoder with a regression head (<c>minilm-crossencoder</c>).</summary>
    public static ICandidate<SentencePairs> CrossEncoder(MiniLmFineTuneOptions options) => new MiniLmCrossEncoderCandidate(options);

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
                    // Not searched: a search's refit sets it to the epochs a time-planned winner trained (a fraction of one, maybe).
                    TrainEpochs = p.Double("trainEpochs") ?? defaults.TrainEpochs,
                });
            });

    /// <summary>Every TorchSharp sentence-similarity trainer, in the order the catalog lists them.</summary>
    public static IReadOnlyList<TrainerDefinition<SentencePairs>> All { get; } =
    [
        FineTuned("minilm-biencoder", 60, BiEncoder),
        FineTuned("minilm-crossencoder", 80, CrossEncoder),
        new("nasbert-similarity", ModelFamily.Torch, TaskKind.SentenceSimilarity, new SearchSpace("nasbert-similarity", [], SearchPoint.Of(), 100),
            _ => new NasBertSimilarityCandidate()) { SearchedByDefault = false },
    ];
}
