using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using MLWorkbench.Tasks;

namespace MLWorkbench.Bundles;

/// <summary>
/// The zip around a bundle: <c>manifest.json</c> first, then every entry it lists with its SHA-256. Reading checks, in
/// order, that the file exists, is a complete zip within <see cref="BundleLoadOptions"/> (from its directory, before anything
/// is inflated), has a manifest of a format this library reads, that every listed entry is present, inflates to no more
/// than it declares and matches its checksum, and that an ML.NET model zip inside passes <see cref="MlNetModelCheck"/>;
/// each failure is one sentence naming the file.
/// </summary>
internal static class BundleArchive
{
    public const string ManifestEntry = "manifest.json";

    /// <summary>
    /// The optional signature: not listed in the manifest, because it signs the manifest's exact bytes, which list every
    /// other entry with its SHA-256; so it covers the whole bundle.
    /// </summary>
    public const string SignatureEntry = "signature.json";

    private static readonly byte[] SignaturePrefix = "MLWB-BUNDLE-SIGNATURE-1\n"u8.ToArray();

    private sealed record Signature(string Algorithm, string KeyId, string Value);

    /// <summary>Writes the bundle through a temporary file beside <paramref name="path"/>, so a reader never sees half a file.</summary>
    public static async Task WriteAsync(string path, ModelManifest manifest, IReadOnlyDictionary<string, byte[]> entries, CancellationToken cancellationToken)
    {
        var ordered = entries.OrderBy(e => e.Key, StringComparer.Ordinal).ToArray();
        manifest = manifest with { Entries = ordered.Select(e => new BundleEntry(e.Key, Sha256(e.Value), e.Value.LongLength)).ToArray() };
        await WriteZipAsync(path, [(ManifestEntry, JsonSerializer.SerializeToUtf8Bytes(manifest, BundleJson.Options)), .. ordered.Select(e => (e.Key, e.Value))], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds (or replaces) the signature of the bundle at <paramref name="path"/>, after checking that it is a sound bundle.</summary>
    public static async Task SignAsync(string path, BundleKey key, CancellationToken cancellationToken)
    {
        if (!key.CanSign) throw new WorkbenchInputException($"Key {key.KeyId} is a public key: it checks signatures but cannot sign; sign with the private key.");
        if (!File.Exists(path)) throw new WorkbenchInputException($"Model file '{path}' does not exist.");
        var file = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        var (manifest, entries) = Read(path, file);
        byte[] manifestBytes;
        using (var zip = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read))
            manifestBytes = ZipLimits.Read(zip.GetEntry(ManifestEntry)!);
        var signature = new Signature(key.Algorithm, key.KeyId, Convert.ToBase64String(key.Sign(SignedMessage(manifestBytes))));
        await WriteZipAsync(path,
            [(ManifestEntry, manifestBytes), .. manifest.Entries.Select(e => (e.Name, entries[e.Name])), (SignatureEntry, JsonSerializer.SerializeToUtf8Bytes(signature, BundleJson.Options))],
            cancellationToken).ConfigureAwait(false);
    }

    private static byte[] SignedMessage(byte[] manifestBytes) => [.. SignaturePrefix, .. SHA256.HashData(manifestBytes)];

    /// <summary>Writes the entries in order through a temporary file beside <paramref name="path"/>, so a reader never sees half a file.</summary>
    private static async Task WriteZipAsync(string path, IReadOnlyList<(string Name, byte[] Bytes)> entries, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in entries) Add(zip, name, bytes);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            await File.WriteAllBytesAsync(temp, buffer.ToArray(), cancellationToken).ConfigureAwait(false);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        // A fixed time stamp: the same model gives the same bytes, whenever it is saved.
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var stream = entry.Open();
        stream.Write(bytes);
    }

    /// <summary>Reads and checks a bundle's bytes.</summary>
    /// <exception cref="WorkbenchInputException">The file is not a complete bundle, is damaged, breaks a limit, or is newer than this library.</exception>
    public static (ModelManifest Manifest, IReadOnlyDictionary<string, byte[]> Entries) Read(string path, byte[] file, BundleLoadOptions? options = null)
    {
        var limits = options ?? BundleLoadOptions.Default;
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
            _ = zip.Entries; // the central directory is read here, and a damaged one throws here, not at first use (found by fuzzing)
        }
        catch (InvalidDataException)
        {
            throw new WorkbenchInputException($"Model file '{path}' is damaged or truncated: it is not a complete .mlwb (zip) file.");
        }
        using (zip)
        {
            ZipLimits.Check(zip, $"Model file '{path}'", limits);
            var manifestBytes = ReadEntry(zip, path, ManifestEntry)
                ?? throw new WorkbenchInputException($"Model file '{path}' is not an MLWorkbench model: it has no {ManifestEntry}.");
            // System.Text.Json checks a document's structure but decodes a string's bytes only when the string is read,
            // so text that is not UTF-8 would surface later as an InvalidOperationException from deep in a reader.
            RequireUtf8(path, ManifestEntry, manifestBytes);
            var manifest = ParseManifest(path, manifestBytes);
            if (limits.RequiredSignature is { } key) Verify(zip, path, manifestBytes, key);
            var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var listed in manifest.Entries)
            {
                var bytes = ReadEntry(zip, path, listed.Name)
                    ?? throw new WorkbenchInputException($"Model file '{path}' is damaged: entry {listed.Name} is missing.");
                if (bytes.LongLength != listed.Bytes || !string.Equals(Sha256(bytes), listed.Sha256, StringComparison.OrdinalIgnoreCase))
                    throw new WorkbenchInputException($"Model file '{path}' is damaged: entry {listed.Name} does not match its checksum.");
                if (listed.Name.EndsWith(".zip", StringComparison.Ordinal)) MlNetModelCheck.Check(path, listed.Name, bytes, limits);
                if (listed.Name.EndsWith(".json", StringComparison.Ordinal)) RequireUtf8(path, listed.Name, bytes);
                entries[listed.Name] = bytes;
            }
            return (manifest, entries);
        }
    }

    private static void Verify(ZipArchive zip, string path, byte[] manifestBytes, BundleKey key)
    {
        var entry = zip.GetEntry(SignatureEntry)
            ?? throw new WorkbenchInputException($"Model file '{path}' is refused: it is not signed, and this application accepts only bundles signed with key {key.KeyId}.");
        Signature? signature;
        byte[] value;
        try
        {
            if (entry.Length > 64 * 1024) throw new InvalidDataException("too long");
            var signatureBytes = ZipLimits.Read(entry);
            if (!System.Text.Unicode.Utf8.IsValid(signatureBytes)) throw new InvalidDataException("not UTF-8");
            signature = JsonSerializer.Deserialize<Signature>(signatureBytes, BundleJson.Options);
            value = Convert.FromBase64String(signature?.Value ?? "");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or IOException or FormatException)
        {
            throw new WorkbenchInputException($"Model file '{path}' is refused: its {SignatureEntry} cannot be read.", e);
        }
        if (signature is null || signature.Algorithm != key.Algorithm || signature.KeyId != key.KeyId)
            throw new WorkbenchInputException(
                $"Model file '{path}' is refused: it is signed with {signature?.Algorithm ?? "no"} key {signature?.KeyId ?? "(none)"}, and this application accepts only {key.Algorithm} key {key.KeyId}.");
        if (!key.Verify(SignedMessage(manifestBytes), value))
            throw new WorkbenchInputException($"Model file '{path}' is refused: its signature does not match key {key.KeyId}; the bundle was changed after it was signed.");
    }

    private static void RequireUtf8(string path, string entry, byte[] bytes)
    {
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
            throw new WorkbenchInputException($"Model file '{path}' is damaged: {entry} is not UTF-8 text.");
    }

    private static ModelManifest ParseManifest(string path, byte[] bytes)
    {
        // The format version is read on its own first: a newer manifest may not parse as this version's record.
        int version;
        string? writer;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            version = root.TryGetProperty("formatVersion", out var v) && v.TryGetInt32(out var n) ? n : 0;
            writer = root.TryGetProperty("libraryVersion", out var w) && w.ValueKind == JsonValueKind.String ? w.GetString() : null;
        }
        catch (JsonException)
        {
            throw new WorkbenchInputException($"Model file '{path}' is damaged: {ManifestEntry} is not valid JSON.");
        }
        if (version > ModelManifest.CurrentFormatVersion)
            throw new WorkbenchInputException(
                $"Model file '{path}' was written by MLWorkbench {writer ?? "(unknown)"} in bundle format {version}; this is MLWorkbench {BundleJson.LibraryVersion}, which reads format {ModelManifest.CurrentFormatVersion} and older, so upgrade MLWorkbench to load it.");
        if (version < 1)
            throw new WorkbenchInputException($"Model file '{path}' is damaged: {ManifestEntry} has no valid formatVersion.");
        try
        {
            var manifest = JsonSerializer.Deserialize<ModelManifest>(bytes, BundleJson.Options)
                ?? throw new JsonException("null manifest");
            if (Incomplete(manifest) is { } field)
                throw new WorkbenchInputException($"Model file '{path}' is damaged: {ManifestEntry} has no valid {field}.");
            return manifest with { Hyperparameters = manifest.Hyperparameters.ToDictionary(p => p.Key, p => BundleJson.Plain(p.Value)) };
        }
        catch (JsonException)
        {
            throw new WorkbenchInputException($"Model file '{path}' is damaged: {ManifestEntry} does not describe a model.");
        }
    }

    /// <summary>
    /// The first field of a parsed manifest that JSON left null or invalid where the format has a value (JSON's
    /// <c>null</c> passes for any reference), or null when none is.
    /// </summary>
    private static string? Incomplete(ModelManifest m)
    {
        if (m.Entries is null || m.Entries.Any(e => e is null || string.IsNullOrEmpty(e.Name) || string.IsNullOrEmpty(e.Sha256) || e.Bytes < 0)) return "entries";
        if (m.Entries.Select(e => e.Name).Distinct(StringComparer.Ordinal).Count() != m.Entries.Count) return "entries (a name is listed twice)";
        if (m.Entries.Any(e => e.Name is ManifestEntry or SignatureEntry)) return "entries (the manifest lists itself or the signature)";
        if (string.IsNullOrEmpty(m.Task)) return "task";
        if (m.Label is null || m.Trainer is null || m.Family is null || m.LibraryVersion is null) return "names";
        if (m.Inputs is null || m.Inputs.Any(i => i is null || i.Name is null)) return "inputs";
        if (m.FeatureNames is null || m.FeatureNames.Any(f => f is null)) return "featureNames";
        if (m.ClassNames is not null && m.ClassNames.Any(c => c is null)) return "classNames";
        if (m.Packages is null || m.Hyperparameters is null || m.Metrics?.Validation is null || m.Metrics.Test is null) return "packages, hyperparameters or metrics";
        return null;
    }

    private static byte[]? ReadEntry(ZipArchive zip, string path, string name)
    {
        var entry = zip.GetEntry(name);
        if (entry is null) return null;
        try
        {
            return ZipLimits.Read(entry);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new WorkbenchInputException($"Model file '{path}' is damaged: entry {name} cannot be read ({MessageText.OneLine(e)}).");
        }
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
