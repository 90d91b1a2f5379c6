using MLWorkbench.AutoML;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Images;

/// <summary>
/// The TorchSharp image candidates (CNN, Vision Transformer, ResNet18 fine-tuned, CNN seed ensemble) with their search
/// spaces and settings, registered by <see cref="TorchExtension"/> after the core's ML.NET image trainers.
/// </summary>
internal static class TorchImageCandidates
{
    /// <summary>
    /// Default settings of <c>cnn</c> (issue 15; before it: average pooling, 32 channels, batch 64, 40 epochs): average and
    /// max pooling side by side, 16 channels in the first block, batch 32, up to 60 epochs. Measured on 2 busy CPU cores
    /// (benchmarks/RESULTS.md, "Issue 15 — images, the CNN recipe"): the max answers "is this part anywhere" where a mean
    /// over a busy image dilutes a small object (validation 0.917 → 0.985 at the same 30 epochs; 0.896 → 0.963 on another
    /// split and seed), and the network is short of steps more than of channels (16 channels train an epoch in half the
    /// time of 32; batch 32 gives twice the steps). The same recipe over 60 epochs passed validation 0.99 at epoch 25 and
    /// ended at 0.998; in a search the network plans its steps against its trial's seconds (StepPlan), so at load 15 on
    /// 2 cores a 300 s share trains about 40 of them, the learning-rate schedule compressed to fit, and keeps its model.
    /// </summary>
    public static TorchImageOptions CnnDefaults { get; } = new() { Width = 16, BatchSize = 32, MaxEpochs = 60, Pooling = CnnPooling.AverageMax };

    /// <summary>The CNN candidate (<c>cnn</c>) with the given settings.</summary>
    public static ICandidate<ImageExamples> Cnn(TorchImageOptions options) => new TorchImageCandidate(ImageNetwork.Cnn, options);

    /// <summary>
    /// Default settings of <c>resnet18-finetune</c>: 64 x 64 inputs, AdamW at 5e-4 with warm-up and cosine decay, 8 epochs,
    /// batch 32, augmentation on.
    /// </summary>
    public static TorchImageOptions ResNet18Defaults { get; } = new()
    {
        ImageSize = 64, Dropout = 0.1, LearningRate = 5e-4, WeightDecay = 1e-4, BatchSize = 32, MaxEpochs = 8, Patience = 3,
    };

    /// <summary>The pretrained ResNet18 fine-tuned end to end (<c>resnet18-finetune</c>) with the given settings.</summary>
    public static ICandidate<ImageExamples> ResNet18FineTune(TorchImageOptions options) => new TorchImageCandidate(ImageNetwork.ResNet18, options);

    /// <summary>
    /// Default settings of <c>cnn-ensemble</c>: five <c>cnn</c> networks, each trained through its whole 40-epoch
    /// learning-rate schedule (patience 40) and restored to its best validation epoch.
    /// </summary>
    public static TorchImageOptions CnnEnsembleDefaults { get; } = new() { Members = 5, Patience = 40 };

    /// <summary>The CNN seed ensemble (<c>cnn-ensemble</c>): several CNNs whose class probabilities are averaged.</summary>
    public static ICandidate<ImageExamples> CnnEnsemble(TorchImageOptions options) => new TorchImageCandidate(ImageNetwork.Cnn, options, "cnn-ensemble");

    /// <summary>The Vision Transformer candidate (<c>vit</c>) with the given settings.</summary>
    public static ICandidate<ImageExamples> Vit(TorchImageOptions options) => new TorchImageCandidate(ImageNetwork.Vit, options);

    private static IReadOnlyList<ParameterDomain> Training =>
    [
        new FloatDomain("learningRate", 1e-4, 1e-2, Log: true), new FloatDomain("dropout", 0, 0.5), new FloatDomain("weightDecay", 1e-6, 1e-1, Log: true),
        new ChoiceDomain("batchSize", ["32", "64", "128"]), new IntDomain("maxEpochs", 5, 60, Log: true), new ChoiceDomain("augment", ["true", "false"]),
        new FloatDomain("labelSmoothing", 0, 0.2), new ChoiceDomain("rotation", ["10", "30", "180"]), new ChoiceDomain("flip", ["false", "true"]),
    ];

    // The recipe every from-scratch network starts from: AdamW, batch norm (CNN), augmentation, label smoothing 0.1.
    private static (string, object)[] Recipe(TorchImageOptions d) =>
    [
        ("learningRate", d.LearningRate), ("dropout", d.Dropout), ("weightDecay", d.WeightDecay), ("batchSize", d.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("maxEpochs", d.MaxEpochs), ("augment", d.Augment ? "true" : "false"), ("labelSmoothing", d.LabelSmoothing),
        ("rotation", d.RotationDegrees.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("flip", d.Flip ? "true" : "false"),
    ];

    // The CNN's own shape at its defaults: what the search starts from, so the search's first cnn is `cnn` itself.
    private static (string, object)[] CnnShape(TorchImageOptions d) => [("width", d.Width), ("depth", d.Depth), ("pooling", d.Pooling)];

    private static TorchImageOptions Options(IReadOnlyDictionary<string, object> values, TorchImageOptions defaults)
    {
        var p = new ParameterValues(values);
        return defaults with
        {
            LearningRate = p.Double("learningRate") ?? defaults.LearningRate,
            Dropout = p.Double("dropout") ?? defaults.Dropout,
            WeightDecay = p.Double("weightDecay") ?? defaults.WeightDecay,
            BatchSize = p.Int("batchSize") ?? defaults.BatchSize,
            MaxEpochs = p.Int("maxEpochs") ?? defaults.MaxEpochs,
            Augment = p.String("augment") is { } a ? a == "true" : defaults.Augment,
            Width = p.Int("width") ?? defaults.Width,
            Depth = p.Int("depth") ?? defaults.Depth,
            Heads = p.Int("heads") ?? defaults.Heads,
            PatchSize = p.Int("patchSize") ?? defaults.PatchSize,
            Members = p.Int("members") ?? defaults.Members,
            LabelSmoothing = p.Double("labelSmoothing") ?? defaults.LabelSmoothing,
            RotationDegrees = p.Int("rotation") ?? defaults.RotationDegrees,
            Flip = p.String("flip") is { } f ? f == "true" : defaults.Flip,
            Pooling = p.String("pooling") ?? defaults.Pooling,
            TrainEpochs = p.Double("trainEpochs") ?? defaults.TrainEpochs,
            // Not searched: the final refit sets it to the selected epochs, so that nothing stops early.
            Patience = p.Int("patience") ?? defaults.Patience,
        };
    }

    private static ChoiceDomain Pooling => new("pooling", [CnnPooling.Average, CnnPooling.AverageMax]);

    private static TrainerDefinition<ImageExamples> Cnn() => new("cnn", ModelFamily.Torch, TaskKind.ImageClassification,
        new SearchSpace("cnn", [.. Training, new IntDomain("width", 8, 64, Log: true), new IntDomain("depth", 1, 4), Pooling],
            SearchPoint.Of([.. Recipe(CnnDefaults), .. CnnShape(CnnDefaults)]), RelativeCost: 10),
        values => Cnn(Options(values, CnnDefaults)));

    // The CNN's space plus the number of members; the starting point is the default ensemble.
    private static TrainerDefinition<ImageExamples> CnnEnsemble() => new("cnn-ensemble", ModelFamily.Torch, TaskKind.ImageClassification,
        new SearchSpace("cnn-ensemble", [.. Training, new IntDomain("width", 8, 64, Log: true), new IntDomain("depth", 1, 4), Pooling, new IntDomain("members", 2, 7)],
            SearchPoint.Of([.. Recipe(CnnEnsembleDefaults), .. CnnShape(CnnEnsembleDefaults), ("members", CnnEnsembleDefaults.Members)]),
            RelativeCost: 40),
        values => CnnEnsemble(Options(values, CnnEnsembleDefaults)));

    private static TrainerDefinition<ImageExamples> ResNet18() => new("resnet18-finetune", ModelFamily.Torch, TaskKind.ImageClassification,
        new SearchSpace("resnet18-finetune",
            [
                new FloatDomain("learningRate", 1e-5, 2e-3, Log: true), new FloatDomain("dropout", 0, 0.5), new ChoiceDomain("batchSize", ["16", "32", "64"]),
                new IntDomain("maxEpochs", 2, 15), new ChoiceDomain("augment", ["true", "false"]),
            ],
            SearchPoint.Of(("learningRate", 5e-4), ("dropout", 0.1), ("batchSize", "32"), ("maxEpochs", ResNet18Defaults.MaxEpochs), ("augment", "true")),
            RelativeCost: 60),
        values => ResNet18FineTune(Options(values, ResNet18Defaults)));

    private static TrainerDefinition<ImageExamples> Vit() => new("vit", ModelFamily.Torch, TaskKind.ImageClassification,
        // Widths are multiples of 16 so that every head count divides them.
        new SearchSpace("vit", [.. Training, new ChoiceDomain("width", ["32", "64", "96", "128"]), new IntDomain("depth", 1, 6),
                new ChoiceDomain("heads", ["2", "4"]), new ChoiceDomain("patchSize", ["2", "4"])],
            // The default ViT, at the space's most epochs.
            SearchPoint.Of([.. Recipe(VitDefaults with { MaxEpochs = 60 }), ("width", "64"), ("depth", 4), ("heads", "4"), ("patchSize", "4")]), RelativeCost: 15),
        values => Vit(Options(values, VitDefaults)));

    private static TorchImageOptions VitDefaults => new() { Width = 64, Depth = 4, Dropout = 0.1, LearningRate = 1e-3, WeightDecay = 0.05, MaxEpochs = 80, Patience = 15 };

    // Last: static initializers run in text order, and these read the defaults above.
    /// <summary>Every TorchSharp image trainer, in the order the image catalog lists them.</summary>
    public static IReadOnlyList<TrainerDefinition<ImageExamples>> All { get; } = [Cnn(), Vit(), ResNet18(), CnnEnsemble()];
}
