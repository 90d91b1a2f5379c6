using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using MLWorkbench.Bundles;
using MLWorkbench.Serving;

namespace MLWorkbench.Benchmarks.Serving;

/// <summary>
/// What the untrusted-bundle checks cost (issue 16): reading and verifying a bundle's entries with
/// <see cref="BundleArchive.Read"/> (limits from the zip directory, entries bounded by their declared size, the inner
/// ML.NET model inflated once and its loader assemblies checked) against the anchor, the same read without any of those
/// checks (the reader as it was: every listed entry copied out and its SHA-256 compared). Alternating rounds on the same
/// bytes, so that the machine's load falls on both arms alike; median time and bytes allocated per read.
/// </summary>
internal static class BundleLoadProbe
{
    public static void Run(IReadOnlyList<string> args)
    {
        var rounds = args.Count > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        var folder = Path.Combine(ServingFixture.FindRoot(), "benchmarks", "out", "serving");
        string[] names = ["sts-minilm-biencoder.mlwb", "intents-ngram-lbfgs.mlwb"];
        var missing = names.Where(n => !File.Exists(Path.Combine(folder, n))).ToList();
        if (missing.Count > 0) FamiliesProbe.Run(["minilm-biencoder", "ngram-lbfgs"]); // trains and saves them

        Console.WriteLine($"cores: {Environment.ProcessorCount}; load at start: {Load()}; {rounds} alternating rounds per arm");
        Console.WriteLine("| bundle | file MB | arm | median ms | min ms | MB allocated per read | full WorkbenchModel.Load s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var name in names)
        {
            var path = Path.Combine(folder, name);
            var bytes = File.ReadAllBytes(path);
            var unchecked_ = new List<(double Ms, long Bytes)>();
            var checked_ = new List<(double Ms, long Bytes)>();
            for (var round = 0; round < rounds + 2; round++)
            {
                var a = Time(() => UncheckedRead(bytes));
                var b = Time(() => BundleArchive.Read(path, bytes));
                if (round < 2) continue; // warm-up
                unchecked_.Add(a);
                checked_.Add(b);
            }
            var load = Stopwatch.StartNew();
            using (WorkbenchModel.Load(path)) { }
            var loadSeconds = load.Elapsed.TotalSeconds;
            Console.WriteLine(Line(name, bytes.Length, "anchor: unchecked read", unchecked_, ""));
            Console.WriteLine(Line(name, bytes.Length, "checked read (limits + ML.NET model check)", checked_, loadSeconds.ToString("F2", CultureInfo.InvariantCulture)));
            var ratio = Median(checked_.Select(c => c.Ms)) / Median(unchecked_.Select(u => u.Ms));
            Console.WriteLine($"| {name} | | checked / unchecked | {ratio:F3}× | | | |");
        }
        Console.WriteLine($"load at end: {Load()}");
    }

    private static (double Ms, long Bytes) Time(Action read)
    {
        GC.Collect();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        read();
        return (clock.Elapsed.TotalMilliseconds, GC.GetAllocatedBytesForCurrentThread() - allocated);
    }

    /// <summary>The reader before the limits: every listed entry copied out through a MemoryStream and its checksum compared.</summary>
    private static int UncheckedRead(byte[] file)
    {
        using var zip = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
        byte[] Read(string name)
        {
            using var stream = zip.GetEntry(name)!.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        using var manifest = JsonDocument.Parse(Read(BundleArchive.ManifestEntry));
        var count = 0;
        foreach (var entry in manifest.RootElement.GetProperty("entries").EnumerateArray())
        {
            var bytes = Read(entry.GetProperty("name").GetString()!);
            if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), entry.GetProperty("sha256").GetString(), StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException("checksum");
            count++;
        }
        return count;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Line(string name, long fileBytes, string arm, List<(double Ms, long Bytes)> runs, string load) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {fileBytes / 1e6:F1} | {arm} | {Median(runs.Select(r => r.Ms)):F1} | {runs.Min(r => r.Ms):F1} | {Median(runs.Select(r => (double)r.Bytes)) / 1e6:F1} | {load} |");

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
