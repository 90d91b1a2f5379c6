using System.Reflection;
using MLWorkbench.Bundles;
using MLWorkbench.Models.Torch;
using MLWorkbench.Images;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;

[assembly: WorkbenchExtension(typeof(MLWorkbench.TorchExtension))]

namespace MLWorkbench;

/// <summary>
/// MLWorkbench.Torch as the core sees it: the TorchSharp trainers of every task family (its bundle formats are registered
/// by <see cref="TorchTabularFamily"/> and <see cref="TorchExamplesFamily"/>), TorchSharp's version and its device.
/// </summary>
internal sealed class TorchExtension : WorkbenchExtension
{
    /// <inheritdoc/>
    public override IEnumerable<object> Trainers =>
        [.. TorchTrainers.All, .. TorchImageCandidates.All, .. TorchTextCandidates.All, .. TorchPairCandidates.All];

    /// <inheritdoc/>
    public override IEnumerable<KeyValuePair<string, string>> RuntimeVersions =>
    [
        new("TorchSharp", Version(typeof(TorchSharp.torch).Assembly)),
        new("Microsoft.ML.TorchSharp", Version(typeof(Microsoft.ML.TorchSharp.TorchSharpCatalog).Assembly)),
    ];

    /// <inheritdoc/>
    public override string? DescribeDevice(ComputeDevice device, TrainingPrecision precision) => TorchDevices.Describe(device, precision);

    private static string Version(Assembly assembly)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var plus = version.IndexOf('+');
        return plus > 0 ? version[..plus] : version;
    }
}
