using MLWorkbench.Bundles;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

[assembly: ModelFamily<MLWorkbench.Images.ImageFamily>]

namespace MLWorkbench.Images;

/// <summary>
/// The ML.NET image family's registration (MLWorkbench.Images): the bundle format of its ML.NET classifiers, served as
/// every image model is (<see cref="ImageServing.Serve"/>), and the ResNet18 files
/// that ship in Microsoft.ML.DnnImageFeaturizer.ResNet18 (named in bundles by checksum).
/// </summary>
internal sealed class ImageFamily : IModelFamily
{
    /// <summary>The ResNet18 ONNX model, as bundles name it.</summary>
    public const string ResNet18File = "resnet18/ResNet18.onnx";

    /// <summary>ResNet18's preprocessing graph, as bundles name it.</summary>
    public const string ResNetPreprocessFile = "resnet18/ResNetPreprocess.onnx";

    private const string ResNetPackage = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    public IEnumerable<ModelFormat> Formats =>
    [
        ModelFormat.Examples(MlNetImageModel.BundleFormat, TaskKind.ImageClassification, "an ML.NET or ONNX Runtime native library", bundle =>
            ImageServing.Serve(bundle, () => MlNetImageModel.Load(bundle.Entries, bundle.ClassNames.Count), channels: 3)),
    ];

    public IEnumerable<PretrainedSource> PretrainedFiles =>
    [
        PretrainedSource.File(ResNet18File, ResNetPackage, Path.Combine(MlNetImageCandidate.ResNetFolder, "ResNet18Onnx", "ResNet18.onnx")),
        PretrainedSource.File(ResNetPreprocessFile, ResNetPackage, Path.Combine(MlNetImageCandidate.ResNetFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx")),
    ];
}
