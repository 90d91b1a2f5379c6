using MLWorkbench.AutoML;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.TextClassification;

/// <summary>
/// The text classification candidates, registered once: each with its search space (learning rate, epochs, sequence
/// length, sizes) and a starting point that is its default (networks are made cheap by successive halving over their
/// epochs, not by a weak start). Comparisons offer them all (<see cref="TextCandidates"/>); a search tries the defaults
/// of <see cref="Portfolio"/> first and leaves <c>nasbert</c> out unless it is named: it runs only where its weight files exist.
/// </summary>
internal static class TextTrainers
{
    /// <summary>
    /// The trainers whose defaults a search over every trainer tries first, before the sampler: the n-gram linear models
    /// (seconds, hard to beat on topic-like tasks) and the fine-tuned MiniLM (skipped where its weights are missing).
    /// </summary>
    public static IReadOnlyList<string> Portfolio { get; } = ["ngram-sdca", "ngram-lbfgs", "minilm-finetune"];

    /// <summary>Every text trainer, cheapest first.</summary>
    public static IReadOnlyList<TrainerDefinition<TextExamples>> All { get; } =
    [
        Fixed("ngram-sdca", ModelFamily.MlNet, 1, () => TextCandidates.Ngram(TextTrainer.Sdca)),
        Fixed("ngram-lbfgs", ModelFamily.MlNet, 1, () => TextCandidates.Ngram(TextTrainer.Lbfgs)),
        new("ngram-lightgbm", ModelFamily.MlNet, TaskKind.TextClassification,
            new SearchSpace("ngram-lightgbm", [new IntDomain("iterations", 50, 600, Log: true)], SearchPoint.Of(("iterations", 100)), 3),
            values => TextCandidates.Ngram(TextTrainer.LightGbm, new ParameterValues(values).Int("iterations") ?? 200)),
        new("minilm-embeddings", ModelFamily.Onnx, TaskKind.TextClassification,
            new SearchSpace("minilm-embeddings", [new ChoiceDomain("maxTokens", ["64", "128", "256"])], SearchPoint.Of(("maxTokens", "128")), 20),
            values => new MlNetTextCandidate(TextFeatures.MiniLm, TextTrainer.Lbfgs, maxTokens: new ParameterValues(values).Int("maxTokens") ?? 128)),
        MiniLmNeighboursCandidate.Definition,
        Torch("gru", TextNetwork.Gru, TextCandidates.GruDefaults, 10,
            [new IntDomain("width", 32, 256, Log: true), new IntDomain("hidden", 32, 256, Log: true), new ChoiceDomain("bidirectional", ["true", "false"])],
            ("width", 128), ("hidden", 128), ("bidirectional", "true")),
        Torch("lstm", TextNetwork.Lstm, TextCandidates.GruDefaults, 12,
            [new IntDomain("width", 32, 256, Log: true), new IntDomain("hidden", 32, 256, Log: true), new ChoiceDomain("bidirectional", ["true", "false"])],
            ("width", 128), ("hidden", 128), ("bidirectional", "true")),
        // Widths are multiples of 64 so that every head count divides them.
        Torch("transformer", TextNetwork.Transformer, TextCandidates.TransformerDefaults, 12,
            [new ChoiceDomain("width", ["64", "128", "256"]), new IntDomain("depth", 1, 4), new ChoiceDomain("heads", ["2", "4", "8"])],
            ("width", "128"), ("depth", 2), ("heads", "4")),
        new("minilm-finetune", ModelFamily.Torch, TaskKind.TextClassification,
            new SearchSpace("minilm-finetune",
                [new FloatDomain("learningRate", 1e-5, 1e-4, Log: true), new IntDomain("maxEpochs", 1, 4), new ChoiceDomain("batchSize", ["8", "16", "32"]),
                    new ChoiceDomain("maxTokens", ["64", "128", "256"])],
                SearchPoint.Of(("learningRate", 5e-5), ("maxEpochs", TextCandidates.FinetuneDefaults.MaxEpochs), ("batchSize", "16"), ("maxTokens", "128")), 100),
            values => TextCandidates.Torch(TextNetwork.MiniLmFinetune, Options(values, TextCandidates.FinetuneDefaults))),
        Fixed("nasbert", ModelFamily.Torch, 100, () => new NasBertCandidate()) with { SearchedByDefault = false },
    ];

    // SDCA and L-BFGS over n-grams run with ML.NET's settings (NAS-BERT with its own): one trial tells all.
    private static TrainerDefinition<TextExamples> Fixed(string name, ModelFamily family, double cost, Func<ICandidate<TextExamples>> create) =>
        new(name, family, TaskKind.TextClassification, new SearchSpace(name, [], SearchPoint.Of(), cost), _ => create());

    private static TrainerDefinition<TextExamples> Torch(string name, TextNetwork network, TorchTextOptions defaults, double cost,
        IReadOnlyList<ParameterDomain> sizes, params (string Name, object Value)[] defaultSizes) => new(name, ModelFamily.Torch, TaskKind.TextClassification,
        new SearchSpace(name,
            [
                new FloatDomain("learningRate", 1e-4, 1e-2, Log: true), new FloatDomain("dropout", 0, 0.5), new IntDomain("maxEpochs", 2, 20, Log: true),
                new ChoiceDomain("batchSize", ["16", "32", "64"]), new ChoiceDomain("maxTokens", ["64", "128", "256"]), .. sizes,
            ],
            SearchPoint.Of([("learningRate", defaults.LearningRate), ("dropout", defaults.Dropout), ("maxEpochs", defaults.MaxEpochs),
                ("batchSize", defaults.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("maxTokens", defaults.MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture)), .. defaultSizes]), cost),
        values => TextCandidates.Torch(network, Options(values, defaults)));

    private static TorchTextOptions Options(IReadOnlyDictionary<string, object> values, TorchTextOptions defaults)
    {
        var p = new ParameterValues(values);
        return defaults with
        {
            LearningRate = p.Double("learningRate") ?? defaults.LearningRate,
            Dropout = p.Double("dropout") ?? defaults.Dropout,
            MaxEpochs = p.Int("maxEpochs") ?? defaults.MaxEpochs,
            BatchSize = p.Int("batchSize") ?? defaults.BatchSize,
            MaxTokens = p.Int("maxTokens") ?? defaults.MaxTokens,
            Width = p.Int("width") ?? defaults.Width,
            Hidden = p.Int("hidden") ?? defaults.Hidden,
            Depth = p.Int("depth") ?? defaults.Depth,
            Heads = p.Int("heads") ?? defaults.Heads,
            Bidirectional = p.String("bidirectional") is { } b ? b == "true" : defaults.Bidirectional,
            // Not searched: the final refit sets it to the selected epochs, so that nothing stops early.
            Patience = p.Int("patience") ?? defaults.Patience,
            // Not searched either: a cap on training texts, for a quick look on a slow machine (benchmarks/Text).
            MaxTrainExamples = p.Int("maxTrainExamples") ?? defaults.MaxTrainExamples,
        };
    }
}
