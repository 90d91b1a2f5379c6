using MLWorkbench.AutoML;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.TextClassification;

/// <summary>
/// The TorchSharp text candidates (GRU, LSTM, Transformer, MiniLM fine-tuned, NAS-BERT) with their search spaces and
/// settings, registered by <see cref="TorchExtension"/> after the core's and MLWorkbench.Onnx's text trainers.
/// </summary>
internal static class TorchTextCandidates
{
    /// <summary>Default settings of <c>gru</c> and <c>lstm</c>: bidirectional, 128 wide, on GPT-2 tokens.</summary>
    public static TorchTextOptions GruDefaults { get; } = new();

    /// <summary>Default settings of <c>transformer</c>: 2 encoder layers, width 128, 4 heads.</summary>
    public static TorchTextOptions TransformerDefaults { get; } = new()
    {
        Width = 128, Depth = 2, Heads = 4, Dropout = 0.1, LearningRate = 1e-3, WeightDecay = 0.01, MaxEpochs = 20, Patience = 4,
    };

    /// <summary>Default settings of <c>minilm-finetune</c>: 128 tokens, learning rate 5e-5, 3 epochs, batch 16.</summary>
    public static TorchTextOptions FinetuneDefaults { get; } = new()
    {
        MaxTokens = 128, Dropout = 0.1, LearningRate = 5e-5, WeightDecay = 0.01, BatchSize = 16, MaxEpochs = 3, Patience = 1,
    };

    /// <summary>A TorchSharp candidate (<c>gru</c>, <c>transformer</c> or <c>minilm-finetune</c>) with the given settings.</summary>
    public static ICandidate<TextExamples> Torch(TextNetwork network, TorchTextOptions options) => new TorchTextCandidate(network, options);

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
        values => Torch(network, Options(values, defaults)));

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
            // Not searched: a search's refit sets it to the epochs a time-planned winner trained (a fraction of one, maybe).
            TrainEpochs = p.Double("trainEpochs") ?? defaults.TrainEpochs,
        };
    }

    // Last: static initializers run in text order, and these read the defaults above.
    /// <summary>Every TorchSharp text trainer, in the order the text catalog lists them.</summary>
    public static IReadOnlyList<TrainerDefinition<TextExamples>> All { get; } =
    [
        Torch("gru", TextNetwork.Gru, GruDefaults, 10,
            [new IntDomain("width", 32, 256, Log: true), new IntDomain("hidden", 32, 256, Log: true), new ChoiceDomain("bidirectional", ["true", "false"])],
            ("width", 128), ("hidden", 128), ("bidirectional", "true")),
        Torch("lstm", TextNetwork.Lstm, GruDefaults, 12,
            [new IntDomain("width", 32, 256, Log: true), new IntDomain("hidden", 32, 256, Log: true), new ChoiceDomain("bidirectional", ["true", "false"])],
            ("width", 128), ("hidden", 128), ("bidirectional", "true")),
        // Widths are multiples of 64 so that every head count divides them.
        Torch("transformer", TextNetwork.Transformer, TransformerDefaults, 12,
            [new ChoiceDomain("width", ["64", "128", "256"]), new IntDomain("depth", 1, 4), new ChoiceDomain("heads", ["2", "4", "8"])],
            ("width", "128"), ("depth", 2), ("heads", "4")),
        new("minilm-finetune", ModelFamily.Torch, TaskKind.TextClassification,
            new SearchSpace("minilm-finetune",
                [new FloatDomain("learningRate", 1e-5, 1e-4, Log: true), new IntDomain("maxEpochs", 1, 4), new ChoiceDomain("batchSize", ["8", "16", "32"]),
                    new ChoiceDomain("maxTokens", ["64", "128", "256"])],
                SearchPoint.Of(("learningRate", 5e-5), ("maxEpochs", FinetuneDefaults.MaxEpochs), ("batchSize", "16"), ("maxTokens", "128")), 100),
            values => Torch(TextNetwork.MiniLmFinetune, Options(values, FinetuneDefaults))),
        // NAS-BERT runs with its own settings: one trial tells all.
        new TrainerDefinition<TextExamples>("nasbert", ModelFamily.Torch, TaskKind.TextClassification, new SearchSpace("nasbert", [], SearchPoint.Of(), 100),
            _ => new NasBertCandidate()) { SearchedByDefault = false },
    ];
}
