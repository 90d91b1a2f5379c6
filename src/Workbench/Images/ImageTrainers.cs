using MLWorkbench.AutoML;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Images;

/// <summary>
/// The image classification candidates, registered once: each with its search space and a cheap starting point (few
/// epochs, narrow networks), cheapest first. Comparisons offer them by name (<see cref="ImageCandidates"/>).
/// </summary>
public static class ImageTrainers
{
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
        };
    }

    private static TrainerDefinition<ImageExamples> Cnn() => new("cnn", ModelFamily.Torch, TaskKind.ImageClassification,
        new SearchSpace("cnn", [.. Training, new IntDomain("width", 8, 64, Log: true), new IntDomain("depth", 1, 4)],
            SearchPoint.Of(("learningRate", 3e-3), ("dropout", 0.2), ("weightDecay", 1e-4), ("batchSize", "64"), ("maxEpochs", 8), ("augment", "true"),
                ("width", 16), ("depth", 2)), RelativeCost: 10),
        values => ImageCandidates.Cnn(Options(values, new TorchImageOptions())));

    // The CNN's space plus the number of members; the starting point is three short-trained members.
    private static TrainerDefinition<ImageExamples> CnnEnsemble() => new("cnn-ensemble", ModelFamily.Torch, TaskKind.ImageClassification,
        new SearchSpace("cnn-ensemble", [.. Training, new IntDomain("width", 8, 64, Log: true), new IntDomain("depth", 1, 4), new IntDomain("members", 2, 7)],
            SearchPoint.Of(("learningRate", 3e-3), ("dropout", 0.2), ("weightDecay", 1e-4), ("batchSize", "64"), ("maxEpochs", 8), ("augment", "true"),
                ("width", 16), ("depth", 2), ("members", 3)), RelativeCost: 40),
        values => ImageCandidates.CnnEnsemble(Options(values, ImageCandidates.CnnEnsembleDefaults)));

    private static TrainerDefinition<ImageExamples> ResNet18() => new("resnet18-finetune", ModelFamily.Torch, TaskKind.ImageClassification,
        new SearchSpace("resnet18-finetune",
            [
                new FloatDomain("learningRate", 1e-5, 2e-3, Log: true), new FloatDomain("dropout", 0, 0.5), new ChoiceDomain("batchSize", ["16", "32", "64"]),
                new IntDomain("maxEpochs", 2, 15), new ChoiceDomain("augment", ["true", "false"]),
            ],
            SearchPoint.Of(("learningRate", 5e-4), ("dropout", 0.1), ("batchSize", "32"), ("maxEpochs", 2), ("augment", "true")), RelativeCost: 60),
        values => ImageCandidates.ResNet18FineTune(Options(values, ImageCandidates.ResNet18Defaults)));

    private static TrainerDefinition<ImageExamples> Vit() => new("vit", ModelFamily.Torch, TaskKind.ImageClassification,
        // Widths are multiples of 16 so that every head count divides them.
        new SearchSpace("vit", [.. Training, new ChoiceDomain("width", ["32", "64", "96", "128"]), new IntDomain("depth", 1, 6),
                new ChoiceDomain("heads", ["2", "4"]), new ChoiceDomain("patchSize", ["2", "4"])],
            SearchPoint.Of(("learningRate", 1e-3), ("dropout", 0.1), ("weightDecay", 0.05), ("batchSize", "64"), ("maxEpochs", 8), ("augment", "true"),
                ("width", "32"), ("depth", 2), ("heads", "2"), ("patchSize", "4")), RelativeCost: 15),
        values => ImageCandidates.Vit(Options(values, new TorchImageOptions { Width = 64, Depth = 4, Dropout = 0.1, LearningRate = 1e-3, WeightDecay = 0.05, MaxEpochs = 80, Patience = 15 })));
}
