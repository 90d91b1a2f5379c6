using MLWorkbench.AutoML;
using MLWorkbench.Bundles;
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
        // The TorchSharp networks (cnn, vit, resnet18-finetune, cnn-ensemble), when MLWorkbench.Torch is referenced.
        .. ExtensionRegistry.Default.Trainers<ImageExamples>(),
    ];

    // The linear pixel and ResNet18 pipelines have no knob the search could turn: one trial tells all.
    private static TrainerDefinition<ImageExamples> Fixed(string name, ModelFamily family, double cost, ImageFeatures features, ImageTrainer trainer = ImageTrainer.Lbfgs) =>
        new(name, family, TaskKind.ImageClassification, new SearchSpace(name, [], SearchPoint.Of(), cost), _ => new MlNetImageCandidate(features, trainer));

    private static TrainerDefinition<ImageExamples> LightGbm(string name, ImageFeatures features, ModelFamily family, double cost) =>
        new(name, family, TaskKind.ImageClassification, new SearchSpace(name, [new IntDomain("iterations", 50, 600, Log: true)], SearchPoint.Of(("iterations", 100)), cost),
            values => new MlNetImageCandidate(features, ImageTrainer.LightGbm, lightGbmIterations: new ParameterValues(values).Int("iterations") ?? 300));
}
