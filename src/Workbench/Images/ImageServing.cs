using MLWorkbench.Bundles;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Images;

/// <summary>How every image model is served, whatever its package (ML.NET pipelines in MLWorkbench.Images, networks in MLWorkbench.Torch).</summary>
internal static class ImageServing
{
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
        var inspection = ImageDecoding.Get().Inspect(full, ColumnServing.MaxMegapixels);
        return inspection.Problem is { } problem
            ? ("", $"Column '{TaskColumns.Image}': image '{ColumnServing.Shorten(value)}' cannot be used: {problem}.")
            : (full, null);
    }

    /// <summary>A gray 16x16 PNG in a temporary file: the probe row of an image model; the caller deletes the file.</summary>
    private static string[] ProbeImage()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlwb-probe-{Guid.NewGuid():N}.png");
        ImageDecoding.Get().WriteProbe(path);
        return [TaskColumns.Image, path];
    }

}

/// <summary>The image decoder of MLWorkbench.Images, which the core's image data and serving read through.</summary>
internal static class ImageDecoding
{
    /// <summary>The registered decoder.</summary>
    /// <exception cref="WorkbenchInputException">MLWorkbench.Images is not referenced: one sentence naming it.</exception>
    public static IImageDecoding Get() => ExtensionRegistry.Default.Extensions.Select(e => e.ImageDecoding).FirstOrDefault(d => d is not null)
        ?? throw new WorkbenchInputException(
            $"Images need the {ExtensionRegistry.ImagesPackage} package to be decoded: add <PackageReference Include=\"{ExtensionRegistry.ImagesPackage}\" /> to the application's project.");
}
