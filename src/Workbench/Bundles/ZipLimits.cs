using System.IO.Compression;
using MLWorkbench.Tasks;

namespace MLWorkbench.Bundles;

/// <summary>
/// Checks a zip against <see cref="BundleLoadOptions"/> from its central directory (nothing inflated), and reads entries
/// with the declared size as a hard bound, so a directory that understates an entry cannot inflate it past the limits.
/// </summary>
internal static class ZipLimits
{
    /// <summary>Throws one sentence, naming <paramref name="what"/>, when the zip's directory asks for more than the limits allow.</summary>
    public static void Check(ZipArchive zip, string what, BundleLoadOptions limits)
    {
        var entries = zip.Entries;
        if (entries.Count > limits.MaxEntries)
            throw Refused(what, $"it holds {entries.Count:N0} entries, over the limit of {limits.MaxEntries:N0}", nameof(BundleLoadOptions.MaxEntries));
        long total = 0;
        foreach (var entry in entries)
        {
            // The ratio first: it is what marks a zip bomb, whatever the sizes.
            if (entry.Length > limits.RatioFloorBytes)
            {
                var ratio = entry.Length / (double)Math.Max(1, entry.CompressedLength);
                if (ratio > limits.MaxCompressionRatio)
                    throw Refused(what, $"entry {entry.FullName} inflates to {entry.Length:N0} bytes from {entry.CompressedLength:N0} (a compression ratio of {ratio:N0}:1, over the limit of {limits.MaxCompressionRatio:N0}:1)", nameof(BundleLoadOptions.MaxCompressionRatio));
            }
            var maxEntry = Math.Min(limits.MaxEntryBytes, Array.MaxLength); // one entry is one array in memory
            if (entry.Length < 0 || entry.Length > maxEntry)
                throw Refused(what, $"entry {entry.FullName} inflates to {entry.Length:N0} bytes, over the limit of {maxEntry:N0} per entry", nameof(BundleLoadOptions.MaxEntryBytes));
            total += entry.Length;
            if (total > limits.MaxTotalBytes)
                throw Refused(what, $"its entries inflate to more than {limits.MaxTotalBytes:N0} bytes in all, the limit", nameof(BundleLoadOptions.MaxTotalBytes));
        }
    }

    /// <summary>
    /// Reads an entry whose directory size was checked: at most its declared length, and an entry that inflates to more
    /// (or less) than it declares is damaged.
    /// </summary>
    public static byte[] Read(ZipArchiveEntry entry)
    {
        var bytes = new byte[entry.Length];
        using var stream = entry.Open();
        var read = 0;
        while (read < bytes.Length)
        {
            var n = stream.Read(bytes, read, bytes.Length - read);
            if (n == 0) throw new InvalidDataException($"entry {entry.FullName}: it is shorter than its directory says");
            read += n;
        }
        Span<byte> probe = stackalloc byte[1];
        if (stream.Read(probe) != 0) throw new InvalidDataException($"entry {entry.FullName}: it inflates to more than its directory says");
        return bytes;
    }

    /// <summary>Inflates an entry without keeping it, to prove it holds exactly the bytes its directory declares.</summary>
    public static void Inflate(ZipArchiveEntry entry, byte[] buffer)
    {
        using var stream = entry.Open();
        long total = 0;
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            total += n;
            if (total > entry.Length) throw new InvalidDataException($"entry {entry.FullName}: it inflates to more than its directory says");
        }
        if (total != entry.Length) throw new InvalidDataException($"entry {entry.FullName}: it is shorter than its directory says");
    }

    private static WorkbenchInputException Refused(string what, string why, string limit) =>
        new($"{what} is refused: {why}. Raise BundleLoadOptions.{limit} to load it if you trust the file.");
}
