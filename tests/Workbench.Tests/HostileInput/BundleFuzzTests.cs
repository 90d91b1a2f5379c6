using System.IO.Compression;
using CsCheck;
using MLWorkbench.Bundles;
using MLWorkbench.Tests.Bundles;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.HostileInput;

/// <summary>
/// Property-based fuzzing (CsCheck) of the bundle loader: a real bundle's bytes mutated at random, and bundles whose
/// entries (manifest, featurizer, the ML.NET model zip) are mutated with their checksums fixed up, so that the input gets
/// past the checksums into the parsers behind them. Every input must end in a model or in
/// <see cref="WorkbenchInputException"/> with a one-line message, within 30 seconds and 64 MB of allocation.
/// </summary>
public class BundleFuzzTests
{
    // Generous: a hang is what it catches, and loading an ML.NET model on two busy cores can take seconds.
    private static readonly TimeSpan PerInput = TimeSpan.FromSeconds(30);
    private const long MaxAllocation = 64L << 20;
    // Below PerInput: an ML.NET read that never ends (a damaged array length) is refused at this limit, not hung on.
    private static readonly BundleLoadOptions Limits = BundleLoadOptions.Default with { MaxModelReadTime = TimeSpan.FromSeconds(10) };
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("MLWB_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : 300;
    private static readonly string Seed = Environment.GetEnvironmentVariable("MLWB_FUZZ_SEED") is { Length: > 0 } s ? s : "0N0XIzNsQ0O2";

    private static readonly Gen<(int Kind, int Position, byte Value, int Length)> Edit =
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.Frequency((2, Gen.OneOf<byte>(0, 0xFF, (byte)'"', (byte)'{', (byte)'9', (byte)'-', (byte)'P', (byte)'K')), (1, Gen.Byte)), Gen.Int[1, 16]);

    /// <summary>Loads the bytes as a bundle; only a one-line <see cref="WorkbenchInputException"/> may escape, within the time and allocation limits.</summary>
    private static void Loads(byte[] bytes)
    {
        var work = Task.Run(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var model = WorkbenchModel.FromBytes("fuzz.mlwb", bytes, Limits);
            }
            catch (WorkbenchInputException e) when (e.Message.Length < 2000 && !e.Message.Contains('\n')) { }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > MaxAllocation) throw new InvalidOperationException($"Loading {bytes.Length:N0} bytes allocated {allocated:N0} bytes.");
        });
        try
        {
            if (!work.Wait(PerInput)) throw new TimeoutException($"Loading {bytes.Length} bytes took more than {PerInput.TotalSeconds} s.");
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    [Fact]
    public async Task Mutated_bundles_load_or_are_refused_with_an_input_error_only()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var bundle = await File.ReadAllBytesAsync(saved.Path);
        string[] entries = [BundleArchive.ManifestEntry, "featurizer.json", "model/mlnet.zip"];
        var inner = BundleFixtures.Entry(saved.Path, "model/mlnet.zip");
        string[] innerEntries;
        using (var zip = new ZipArchive(new MemoryStream(inner), ZipArchiveMode.Read)) innerEntries = zip.Entries.Select(e => e.FullName).ToArray();

        // The whole file's bytes.
        Edit.Array[1, 8].Sample(edits => Loads(FuzzTests.Mutate(bundle, edits)), seed: Seed, iter: Iterations, threads: 2);
        // One entry's bytes, checksums fixed: the manifest, featurizer and ML.NET zip parsers see the damage.
        Gen.Select(Gen.Int[0, entries.Length - 1], Edit.Array[1, 8]).Sample((e, edits) =>
        {
            var name = entries[e];
            Loads(BundleFixtures.WithEntry(bundle, name, FuzzTests.Mutate(BundleFixtures.Entry(saved.Path, name), edits)));
        }, seed: Seed, iter: Iterations, threads: 2);
        // One entry inside the ML.NET model zip (a component header, the schema), checksums fixed: ML.NET's own reader sees it.
        Gen.Select(Gen.Int[0, innerEntries.Length - 1], Edit.Array[1, 4]).Sample((e, edits) =>
        {
            var buffer = new MemoryStream();
            buffer.Write(inner);
            using (var zip = new ZipArchive(buffer, ZipArchiveMode.Update, leaveOpen: true))
            {
                var entry = zip.GetEntry(innerEntries[e])!;
                byte[] content;
                using (var stream = entry.Open()) { using var copy = new MemoryStream(); stream.CopyTo(copy); content = copy.ToArray(); }
                entry.Delete();
                using var w = zip.CreateEntry(innerEntries[e]).Open();
                w.Write(FuzzTests.Mutate(content, edits));
            }
            Loads(BundleFixtures.WithEntry(bundle, "model/mlnet.zip", buffer.ToArray()));
        }, seed: Seed, iter: Iterations / 3, threads: 2);
    }
}
