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

    /// <summary>
    /// Every searchable image trainer: the ML.NET pixel and ResNet18 pipelines when MLWorkbench.Images is referenced, then
    /// the TorchSharp networks (cnn, vit, resnet18-finetune, cnn-ensemble) when MLWorkbench.Torch is. The core decodes no
    /// image itself, so without those packages there is none.
    /// </summary>
    public static IReadOnlyList<TrainerDefinition<ImageExamples>> All { get; } = ExtensionRegistry.Default.Trainers<ImageExamples>();
}
