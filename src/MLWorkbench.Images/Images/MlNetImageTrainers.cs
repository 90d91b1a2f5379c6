using MLWorkbench.AutoML;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Images;

/// <summary>The ML.NET image pipelines (pixels or ResNet18 features into L-BFGS, SDCA or LightGBM), registered by <see cref="ImagesExtension"/>.</summary>
internal static class MlNetImageTrainers
{
    /// <summary>Every ML.NET image trainer, cheapest first.</summary>
    public static IReadOnlyList<TrainerDefinition<ImageExamples>> All { get; } =
    [
        Fixed("pixels-lbfgs", ModelFamily.MlNet, 1, ImageFeatures.Pixels),
        Fixed("pixels-sdca", ModelFamily.MlNet, 1, ImageFeatures.Pixels, ImageTrainer.Sdca),
        LightGbm("pixels-lightgbm", ImageFeatures.Pixels, ModelFamily.MlNet, 2),
        Fixed("resnet18-lbfgs", ModelFamily.Onnx, 20, ImageFeatures.ResNet18),
        LightGbm("resnet18-lightgbm", ImageFeatures.ResNet18, ModelFamily.Onnx, 22),
    ];

    // The linear pixel and ResNet18 pipelines have no knob the search could turn: one trial tells all.
    private static TrainerDefinition<ImageExamples> Fixed(string name, ModelFamily family, double cost, ImageFeatures features, ImageTrainer trainer = ImageTrainer.Lbfgs) =>
        new(name, family, TaskKind.ImageClassification, new SearchSpace(name, [], SearchPoint.Of(), cost), _ => new MlNetImageCandidate(features, trainer));

    private static TrainerDefinition<ImageExamples> LightGbm(string name, ImageFeatures features, ModelFamily family, double cost) =>
        new(name, family, TaskKind.ImageClassification, new SearchSpace(name, [new IntDomain("iterations", 50, 600, Log: true)], SearchPoint.Of(("iterations", 100)), cost),
            values => new MlNetImageCandidate(features, ImageTrainer.LightGbm, lightGbmIterations: new ParameterValues(values).Int("iterations") ?? 300));
}
