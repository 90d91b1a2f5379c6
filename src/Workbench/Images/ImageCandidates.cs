using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Images;

/// <summary>The image classification candidates, by name (as registered in <see cref="ImageTrainers.All"/>), and their settings.</summary>
internal static class ImageCandidates
{
    /// <summary>Every candidate name, cheapest first.</summary>
    public static IReadOnlyList<string> Names => [.. ImageTrainers.All.Select(t => t.Name)];

    /// <summary>Creates the candidate called <paramref name="name"/> with its default settings.</summary>
    /// <exception cref="WorkbenchInputException">The name is unknown.</exception>
    public static ICandidate<ImageExamples> Create(string name) =>
        ImageTrainers.All.FirstOrDefault(t => t.Name == name)?.CreateDefault(TaskKind.ImageClassification)
        ?? throw new WorkbenchInputException($"Unknown image candidate '{name}'; known: {string.Join(", ", Names)}.");

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
}
