using MLWorkbench.Bundles;
using MLWorkbench.Tasks;

[assembly: ModelFamily(typeof(MLWorkbench.Images.ImageFamily))]

namespace MLWorkbench.Images;

/// <summary>
/// The image family's registration: the bundle formats of its ML.NET and TorchSharp classifiers, and the ResNet18 files
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
            ExampleServing.Images(MlNetImageModel.Load(bundle.Entries, bundle.ClassNames.Count), bundle.ClassNames, channels: 3,
                () => MlNetImageModel.Load(bundle.Entries, bundle.ClassNames.Count), bundle.Copies)),
        ModelFormat.Examples(TorchImageModel.BundleFormat, TaskKind.ImageClassification, "TorchSharp's native library (libtorch)", bundle =>
        {
            var first = TorchImageModel.Load(bundle.Entries, bundle.ClassNames.Count);
            return ExampleServing.Images(first, bundle.ClassNames, first.Channels, () => TorchImageModel.Load(bundle.Entries, bundle.ClassNames.Count), bundle.Copies);
        }),
    ];

    public IEnumerable<PretrainedSource> PretrainedFiles =>
    [
        PretrainedSource.File(ResNet18File, ResNetPackage, Path.Combine(MlNetImageCandidate.ResNetFolder, "ResNet18Onnx", "ResNet18.onnx")),
        PretrainedSource.File(ResNetPreprocessFile, ResNetPackage, Path.Combine(MlNetImageCandidate.ResNetFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx")),
    ];
}
