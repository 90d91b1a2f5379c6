using MLWorkbench.AutoML;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Images;

/// <summary>
/// The image classification candidates, registered once: each with its search space and a starting point that is the
/// candidate's strong default, cheapest first. Comparisons offer them by name (<see cref="ImageCandidates"/>); a search
/// tries the defaults of <see cref="Portfolio"/> first. Networks are not made cheap by their starting point: a portfolio
/// default trains for all its epochs, and successive halving judges sampled networks at no less than a third of their
/// default's epochs.
/// </summary>
internal static class ImageTrainers
{
    /// <summary>
    /// The trainers whose defaults a search over every trainer tries first, before the sampler: the CNN (it learns shapes,
    /// colours and textures; 0.94 alone on the colour-shapes benchmark) and ResNet18 features into L-BFGS (pretrained,
    /// no epochs to spend). Pixel pipelines are left to the sampler: on anything harder than digits they stay near chance.
    /// </summary>
    public static IReadOnlyList<string> Portfolio { get; } = ["cnn", "resnet18-lbfgs"];

    /// <summary>Every searchable image trainer.</summary>
    public static IReadOnlyList<TrainerDefinition<ImageExamples>> All { get; } =
    [
        Fixed("pixels-lbfgs", ModelFamily.MlNet, 1, ImageFeatures.Pixels),
        Fixed("pixels-sdca", ModelFamily.MlNet, 1, ImageFeatures.Pixels, ImageTrainer.Sdca),
        LightGbm("pixels-lightgbm", ImageFeatures.Pixels, ModelFamily.MlNet, 2),
        Fixed("resnet18-lbfgs", ModelFamily.Onnx, 20, ImageFeatures.ResNet18),
        LightGbm("resnet18-lightgbm", ImageFeatures.ResNet18, ModelFamily.Onnx, 22),
        Cnn(),
        Vit(),
        ResNet18(),
        CnnEnsemble(),
    ];

    // The linear pixel and ResNet18 pipelines have no knob the search could turn: one trial tells all.
    private static TrainerDefinition<ImageExamples> Fixed(string name, ModelFamily family, double cost, ImageFeatures features, ImageTrainer trainer = ImageTrainer.Lbfgs) =>
        new(name, family, TaskKind.ImageClassification, new SearchSpace(name, [], SearchPoint.Of(), cost), _ => new MlNetImageCandidate(features, trainer));

    private static TrainerDefinition<ImageExamples> LightGbm(string name, ImageFeatures features, ModelFamily family, double cost) =>
        new(name, family, TaskKind.ImageClassification, new SearchSpace(name, [new IntDomain("iterations", 50, 600, Log: true)], SearchPoint.Of(("iterations", 100)), cost),
            values => new MlNetImageCandidate(features, ImageTrainer.LightGbm, lightGbmIterations: new ParameterValues(values).Int("iterations") ?? 300));

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
            // Not searched: the final refit sets it to the selected epochs, so that nothing stops early.
            Patience = p.Int("patience") ?? defaults.Patience,
        };
    }

    private static TrainerDefinition<ImageExamples> Cnn() => new("cnn", ModelFamily.Torch, TaskKind.ImageClassification,
        new SearchSpace("cnn", [.. Training, new IntDomain("width", 8, 64, Log: true), new IntDomain("depth", 1, 4)],
            SearchPoint.Of([.. Recipe(new TorchImageOptions()), ("width", 32), ("depth", 3)]), RelativeCost: 10),
        values => ImageCandidates.Cnn(Options(values, new TorchImageOptions())));

    // The CNN's space plus the number of members; the starting point is the default ensemble.
    private static TrainerDefinition<ImageExamples> CnnEnsemble() => new("cnn-ensemble", ModelFamily.Torch, TaskKind.ImageClassification,
        new SearchSpace("cnn-ensemble", [.. Training, new IntDomain("width", 8, 64, Log: true), new IntDomain("depth", 1, 4), new IntDomain("members", 2, 7)],
            SearchPoint.Of([.. Recipe(ImageCandidates.CnnEnsembleDefaults), ("width", 32), ("depth", 3), ("members", ImageCandidates.CnnEnsembleDefaults.Members)]),
            RelativeCost: 40),
        values => ImageCandidates.CnnEnsemble(Options(values, ImageCandidates.CnnEnsembleDefaults)));

    private static TrainerDefinition<ImageExamples> ResNet18() => new("resnet18-finetune", ModelFamily.Torch, TaskKind.ImageClassification,
        new SearchSpace("resnet18-finetune",
            [
                new FloatDomain("learningRate", 1e-5, 2e-3, Log: true), new FloatDomain("dropout", 0, 0.5), new ChoiceDomain("batchSize", ["16", "32", "64"]),
                new IntDomain("maxEpochs", 2, 15), new ChoiceDomain("augment", ["true", "false"]),
            ],
            SearchPoint.Of(("learningRate", 5e-4), ("dropout", 0.1), ("batchSize", "32"), ("maxEpochs", ImageCandidates.ResNet18Defaults.MaxEpochs), ("augment", "true")),
            RelativeCost: 60),
        values => ImageCandidates.ResNet18FineTune(Options(values, ImageCandidates.ResNet18Defaults)));

    private static TrainerDefinition<ImageExamples> Vit() => new("vit", ModelFamily.Torch, TaskKind.ImageClassification,
        // Widths are multiples of 16 so that every head count divides them.
        new SearchSpace("vit", [.. Training, new ChoiceDomain("width", ["32", "64", "96", "128"]), new IntDomain("depth", 1, 6),
                new ChoiceDomain("heads", ["2", "4"]), new ChoiceDomain("patchSize", ["2", "4"])],
            // The default ViT, at the space's most epochs.
            SearchPoint.Of([.. Recipe(VitDefaults with { MaxEpochs = 60 }), ("width", "64"), ("depth", 4), ("heads", "4"), ("patchSize", "4")]), RelativeCost: 15),
        values => ImageCandidates.Vit(Options(values, VitDefaults)));

    private static TorchImageOptions VitDefaults => new() { Width = 64, Depth = 4, Dropout = 0.1, LearningRate = 1e-3, WeightDecay = 0.05, MaxEpochs = 80, Patience = 15 };
}
