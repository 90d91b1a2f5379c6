using System.Buffers.Binary;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using MLWorkbench.Tasks;

namespace MLWorkbench.Bundles;

/// <summary>
/// Checks the ML.NET model zip inside a bundle before ML.NET sees it. ML.NET's reader extracts entries to its temporary
/// folder with no size limit and loads the assembly that each component's header names; so the zip is held to
/// <see cref="BundleLoadOptions"/>, every entry is inflated once against its declared size (nothing written to disk), and
/// the loader assembly in every component header (<c>Model.key</c>) must be one of the ML.NET assemblies MLWorkbench
/// itself references: a crafted file cannot choose which assembly is loaded.
/// </summary>
internal static class MlNetModelCheck
{
    // ML.NET's ModelHeader (Microsoft.ML.Core, Data/ModelHeader.cs): 256 bytes; "ML\0MODEL" at 0, the UTF-16 loader
    // assembly name's offset (long) at 0x90 and byte count (uint) at 0x98, both relative to the header's start.
    private const int HeaderSize = 0x100;
    private const ulong Signature = 0x4C45444F4D004C4DUL;
    private const int MaxAssemblyNameBytes = 4096;

    private static readonly Lazy<HashSet<string>> Known = new(KnownAssemblies);

    /// <summary>The simple names of the ML.NET assemblies a model may name: Microsoft.ML* assemblies MLWorkbench references, transitively.</summary>
    public static IReadOnlySet<string> KnownAssemblyNames => Known.Value;

    /// <summary>Throws one sentence naming the bundle and the entry when the ML.NET model zip breaks a limit, is damaged or names an unknown assembly.</summary>
    public static void Check(string path, string entryName, byte[] zipBytes, BundleLoadOptions limits)
    {
        var what = $"Model file '{path}' (its ML.NET model {entryName})";
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(zipBytes, writable: false), ZipArchiveMode.Read);
            _ = zip.Entries; // the central directory is read here, and a damaged one throws here, not at first use
        }
        catch (InvalidDataException)
        {
            throw new WorkbenchInputException($"Model file '{path}' is damaged: its ML.NET model {entryName} is not a complete zip.");
        }
        using (zip)
        {
            ZipLimits.Check(zip, what, limits);
            var buffer = new byte[81920];
            foreach (var entry in zip.Entries)
            {
                try
                {
                    // One pass per entry: a component header is read whole (its size is within the limits), the rest counted.
                    if (entry.Name == "Model.key") CheckLoader(path, entryName, entry.FullName, ZipLimits.Read(entry));
                    else ZipLimits.Inflate(entry, buffer);
                }
                catch (InvalidDataException e)
                {
                    throw new WorkbenchInputException($"Model file '{path}' is damaged: its ML.NET model {entryName} has a bad {MessageText.OneLine(e)}.", e);
                }
                catch (IOException e)
                {
                    throw new WorkbenchInputException($"Model file '{path}' is damaged: its ML.NET model {entryName} cannot be read ({MessageText.OneLine(e)}).", e);
                }
            }
        }
    }

    private static void CheckLoader(string path, string entryName, string component, byte[] key)
    {
        if (key.Length < HeaderSize || BinaryPrimitives.ReadUInt64LittleEndian(key) != Signature)
            throw new InvalidDataException($"component header {component}");
        var at = BinaryPrimitives.ReadInt64LittleEndian(key.AsSpan(0x90));
        var count = BinaryPrimitives.ReadUInt32LittleEndian(key.AsSpan(0x98));
        if (count == 0) return; // no assembly named: ML.NET resolves the loader from its own catalogue
        if (count > MaxAssemblyNameBytes || count % 2 != 0 || at < HeaderSize || at + count > key.Length)
            throw new InvalidDataException($"loader assembly name in {component}");
        var nameBytes = key.AsSpan((int)at, (int)count);
        var name = Encoding.Unicode.GetString(nameBytes);
        string? simple;
        try
        {
            simple = new AssemblyName(name).Name;
        }
        catch (Exception e) when (e is FileLoadException or ArgumentException)
        {
            simple = null;
        }
        if (simple is null || !Known.Value.Contains(simple))
            throw new WorkbenchInputException(
                $"Model file '{path}' is refused: its ML.NET model {entryName} asks ML.NET to load assembly '{MessageText.Clip(name, 120)}' (in {component}), which is not one of the ML.NET assemblies MLWorkbench uses.");
    }

    private static HashSet<string> KnownAssemblies()
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        // The extension packages' ML.NET assemblies too (ImageAnalytics for MLWorkbench.Images' pipelines).
        var queue = new Queue<Assembly>(ExtensionRegistry.Default.Assemblies);
        while (queue.Count > 0)
        {
            foreach (var reference in queue.Dequeue().GetReferencedAssemblies())
            {
                if (reference.Name is not { } name || !name.StartsWith("Microsoft.ML", StringComparison.Ordinal) || !known.Add(name)) continue;
                try
                {
                    queue.Enqueue(Assembly.Load(reference));
                }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    // Referenced but not deployed (an optional ML.NET package): still a name ML.NET may be asked for.
                }
            }
        }
        return known;
    }
}
