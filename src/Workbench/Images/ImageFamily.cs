using MLWorkbench.Bundles;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

[assembly: ModelFamily<MLWorkbench.Images.ImageFamily>]

namespace MLWorkbench.Images;

/// <summary>
/// The image family's registration: the bundle format of its ML.NET classifiers (MLWorkbench.Torch registers its
/// TorchSharp networks' with <see cref="Serve"/>), and the ResNet18 files
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
            Serve(bundle, () => MlNetImageModel.Load(bundle.Entries, bundle.ClassNames.Count), channels: 3)),
    ];

    public IEnumerable<PretrainedSource> PretrainedFiles =>
    [
        PretrainedSource.File(ResNet18File, ResNetPackage, Path.Combine(MlNetImageCandidate.ResNetFolder, "ResNet18Onnx", "ResNet18.onnx")),
        PretrainedSource.File(ResNetPreprocessFile, ResNetPackage, Path.Combine(MlNetImageCandidate.ResNetFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx")),
    ];

    /// <summary>Serves an image classifier: column <c>image</c> holds the path of a PNG, JPEG or BMP file.</summary>
    internal static ColumnServing Serve(BundleReading bundle, Func<ITrainedModel<ImageExamples>> load, int channels, ITrainedModel<ImageExamples>? first = null)
    {
        var classNames = bundle.ClassNames;
        return new ColumnServing.Serving<string, ImageExamples>(load, bundle.Copies, classNames, [TaskColumns.Image],
            values => ReadImage(values[0]),
            paths => new ImageExamples(paths, new float[paths.Count], classNames, channels, 0, new ImageCache()),
            ProbeImage, first);
    }

    private static (string Path, string? Problem) ReadImage(string value)
    {
        string full;
        try
        {
            full = Path.GetFullPath(value);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return ("", $"Column '{TaskColumns.Image}' holds '{ColumnServing.Shorten(value)}', which is not a valid file path.");
        }
        var inspection = ImageDecoder.Inspect(full, ColumnServing.MaxMegapixels);
        return inspection.Problem is { } problem
            ? ("", $"Column '{TaskColumns.Image}': image '{ColumnServing.Shorten(value)}' cannot be used: {problem}.")
            : (full, null);
    }

    /// <summary>A gray 16x16 PNG in a temporary file: the probe row of an image model; the caller deletes the file.</summary>
    private static string[] ProbeImage()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlwb-probe-{Guid.NewGuid():N}.png");
        using (var bitmap = new SkiaSharp.SKBitmap(16, 16))
        {
            bitmap.Erase(new SkiaSharp.SKColor(128, 128, 128));
            using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(path, data.ToArray());
        }
        return [TaskColumns.Image, path];
    }
}
