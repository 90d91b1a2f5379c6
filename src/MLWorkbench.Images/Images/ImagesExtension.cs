using System.Reflection;
using MLWorkbench.Bundles;

[assembly: WorkbenchExtension(typeof(MLWorkbench.Images.ImagesExtension))]

namespace MLWorkbench.Images;

/// <summary>
/// MLWorkbench.Images as the core sees it: the image decoder (SkiaSharp, as ML.NET ImageAnalytics uses) that image data
/// and image serving read through, and the ML.NET image pipelines (its bundle format and the ResNet18 files are
/// registered by <see cref="ImageFamily"/>).
/// </summary>
internal sealed class ImagesExtension : WorkbenchExtension
{
    /// <inheritdoc/>
    public override IEnumerable<object> Trainers => MlNetImageTrainers.All;

    /// <inheritdoc/>
    public override IImageDecoding ImageDecoding => ImageDecoder.Instance;

    /// <inheritdoc/>
    public override IEnumerable<KeyValuePair<string, string>> RuntimeVersions =>
        [new("Microsoft.ML.ImageAnalytics", Version(typeof(Microsoft.ML.Data.MLImage).Assembly))];

    private static string Version(Assembly assembly)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var plus = version.IndexOf('+');
        return plus > 0 ? version[..plus] : version;
    }
}
