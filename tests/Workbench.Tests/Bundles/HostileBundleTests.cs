using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MLWorkbench.Bundles;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.Bundles;

/// <summary>
/// A bundle comes from outside the application: one that asks for more than <see cref="BundleLoadOptions"/> allow is refused
/// from the zip's directory, before anything is inflated, and the ML.NET model inside is held to the same limits and may
/// name only ML.NET's own loader assemblies.
/// </summary>
public class HostileBundleTests
{
    private const long OneGiB = 1L << 30;

    private static WorkbenchInputException LoadFails(string path, BundleLoadOptions? limits = null)
    {
        var e = Assert.Throws<WorkbenchInputException>(() => WorkbenchModel.Load(path, limits));
        Assert.DoesNotContain("\n", e.Message);
        Assert.Contains(path, e.Message);
        return e;
    }

    /// <summary>As <see cref="LoadFails"/>, with the bytes this thread allocated to refuse the file.</summary>
    private static (string Message, long Allocated) LoadFailsCounting(string path)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var message = LoadFails(path).Message;
        return (message, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>Writes <paramref name="bytes"/> zero bytes into a new entry, streaming (nothing of that size in memory).</summary>
    private static void AddZeros(ZipArchive zip, string name, long bytes)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        var block = new byte[1 << 20];
        for (long left = bytes; left > 0; left -= block.Length) stream.Write(block, 0, (int)Math.Min(left, block.Length));
    }

    /// <summary>The inner ML.NET zip with <paramref name="change"/> applied to it.</summary>
    private static byte[] ChangeInnerZip(byte[] inner, Action<ZipArchive> change)
    {
        var buffer = new MemoryStream();
        buffer.Write(inner);
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Update, leaveOpen: true)) change(zip);
        return buffer.ToArray();
    }

    [Fact]
    public async Task A_bundle_whose_entry_inflates_to_a_gigabyte_is_refused_before_it_is_inflated()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        using (var zip = ZipFile.Open(saved.Path, ZipArchiveMode.Update)) AddZeros(zip, "model/padding.bin", OneGiB);
        Assert.True(new FileInfo(saved.Path).Length < 5_000_000);

        var (message, allocated) = LoadFailsCounting(saved.Path);

        Assert.Contains("is refused: entry model/padding.bin inflates to 1,073,741,824 bytes", message);
        Assert.Contains("Raise BundleLoadOptions.MaxCompressionRatio", message);
        Assert.True(allocated < 200_000_000, $"{allocated:N0} bytes allocated to refuse it");
    }

    [Theory]
    [InlineData("MaxTotalBytes", "in all")]
    [InlineData("MaxEntryBytes", "per entry")]
    [InlineData("MaxEntries", "entries, over the limit")]
    public async Task Each_limit_refuses_a_bundle_over_it_and_can_be_raised(string limit, string expected)
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var tight = limit switch
        {
            "MaxTotalBytes" => BundleLoadOptions.Default with { MaxTotalBytes = 1000 },
            "MaxEntryBytes" => BundleLoadOptions.Default with { MaxEntryBytes = 500 },
            _ => BundleLoadOptions.Default with { MaxEntries = 2 },
        };
        var message = LoadFails(saved.Path, tight).Message;
        Assert.Contains(expected, message);
        Assert.Contains($"Raise BundleLoadOptions.{limit}", message);
        using var model = WorkbenchModel.Load(saved.Path, BundleLoadOptions.Default);
        Assert.Equal(saved.Before.Values![0], model.Predict(saved.Rows[0]).Value!.Value, 1e-5);
    }

    [Fact]
    public async Task An_entry_that_inflates_to_more_than_its_directory_says_is_damaged()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var bytes = await File.ReadAllBytesAsync(saved.Path);
        // Understate featurizer.json's uncompressed size by one byte in its local header (+22) and central directory record (+24).
        var name = Encoding.ASCII.GetBytes("featurizer.json");
        var patched = 0;
        for (var at = 0; at + 46 + name.Length < bytes.Length; at++)
        {
            if (bytes[at] != 'P' || bytes[at + 1] != 'K') continue;
            var (sizeAt, nameAt) = (bytes[at + 2], bytes[at + 3]) switch { (3, 4) => (22, 30), (1, 2) => (24, 46), _ => (-1, -1) };
            if (sizeAt < 0 || !bytes.AsSpan(at + nameAt, name.Length).SequenceEqual(name)) continue;
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + sizeAt), BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + sizeAt)) - 1);
            patched++;
        }
        Assert.Equal(2, patched);
        await File.WriteAllBytesAsync(saved.Path, bytes);

        Assert.Contains("is damaged", LoadFails(saved.Path).Message);
    }

    [Fact]
    public async Task An_ml_net_model_holding_a_gigabyte_entry_is_refused_before_ml_net_extracts_it()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var inner = ChangeInnerZip(BundleFixtures.Entry(saved.Path, "model/mlnet.zip"), zip => AddZeros(zip, "TransformerChain/padding.bin", OneGiB));
        BundleFixtures.ReplaceListed(saved.Path, "model/mlnet.zip", inner);

        // Refused by the check of the inner zip's directory, before ML.NET (which extracts entries to disk) sees it.
        var (message, allocated) = LoadFailsCounting(saved.Path);

        Assert.Contains("(its ML.NET model model/mlnet.zip) is refused: entry TransformerChain/padding.bin inflates to 1,073,741,824 bytes", message);
        Assert.True(allocated < 200_000_000, $"{allocated:N0} bytes allocated to refuse it");
    }

    [Theory]
    [InlineData("System.Net.Http, Version=10.0.0.0, Culture=neutral, PublicKeyToken=cc7b13ffcd2ddd51", "System.Net.Http, Version=10.0.0.0")]
    // Found by BundleFuzzTests: a line break in the name broke the sentence over two lines.
    [InlineData("Microsoft.ML.Data, Version=1\n.0.0.0", "Microsoft.ML.Data, Version=1 .0.0.0")]
    public async Task An_ml_net_model_that_names_a_foreign_loader_assembly_is_refused(string assembly, string quoted)
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var original = BundleFixtures.Entry(saved.Path, "model/mlnet.zip");
        string? component = null;
        var inner = ChangeInnerZip(original, zip =>
        {
            // The first component header that names its loader assembly: point it at a framework assembly instead.
            foreach (var entry in zip.Entries.Where(e => e.Name == "Model.key").ToList())
            {
                byte[] key;
                using (var s = entry.Open()) { using var m = new MemoryStream(); s.CopyTo(m); key = m.ToArray(); }
                if (BinaryPrimitives.ReadUInt32LittleEndian(key.AsSpan(0x98)) == 0) continue;
                var name = Encoding.Unicode.GetBytes(assembly);
                BinaryPrimitives.WriteInt64LittleEndian(key.AsSpan(0x90), key.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(key.AsSpan(0x98), (uint)name.Length);
                component = entry.FullName;
                entry.Delete();
                using var w = zip.CreateEntry(component).Open();
                w.Write(key);
                w.Write(name);
                break;
            }
        });
        Assert.NotNull(component);
        BundleFixtures.ReplaceListed(saved.Path, "model/mlnet.zip", inner);

        var message = LoadFails(saved.Path).Message;

        Assert.Contains($"asks ML.NET to load assembly '{quoted}", message);
        Assert.Contains($"(in {component}), which is not one of the ML.NET assemblies MLWorkbench uses", message);
    }

    [Theory]
    [InlineData("\"width\":", 20_000)]
    [InlineData("\"depth\":", 100_000)]
    public async Task A_network_description_that_asks_for_more_than_its_weights_hold_is_refused_before_it_is_built(string field, int value)
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "mlp");
        var json = Encoding.UTF8.GetString(BundleFixtures.Entry(saved.Path, "model/torch.json"));
        var at = json.IndexOf(field, StringComparison.Ordinal);
        Assert.True(at >= 0, json);
        var end = json.IndexOfAny([',', '}'], at);
        BundleFixtures.ReplaceListed(saved.Path, "model/torch.json", Encoding.UTF8.GetBytes(json[..(at + field.Length)] + value + json[end..]));

        var (message, allocated) = LoadFailsCounting(saved.Path);

        Assert.Contains("is damaged: its TorchSharp network cannot be loaded (the network's sizes ask for at least", message);
        Assert.True(allocated < 50_000_000, $"{allocated:N0} bytes allocated to refuse it");
    }

    [Fact]
    public async Task Fuzz_finding_a_central_directory_that_miscounts_its_entries_is_damaged()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var bytes = await File.ReadAllBytesAsync(saved.Path);
        // End of central directory record: "PK\x05\x06", then the entry counts at +8 and +10.
        var end = bytes.Length - 22;
        while (!(bytes[end] == 'P' && bytes[end + 1] == 'K' && bytes[end + 2] == 5 && bytes[end + 3] == 6)) end--;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(end + 8), (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(end + 8)) + 1));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(end + 10), (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(end + 10)) + 1));
        await File.WriteAllBytesAsync(saved.Path, bytes);

        Assert.Contains("is damaged or truncated", LoadFails(saved.Path).Message);
    }

    [Fact]
    public async Task Fuzz_finding_a_manifest_entry_without_a_name_is_damaged()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var manifest = Encoding.UTF8.GetString(BundleFixtures.Entry(saved.Path, "manifest.json"));
        var changed = System.Text.RegularExpressions.Regex.Replace(manifest, "\"name\":\\s*\"featurizer.json\"", "\"name\": null");
        Assert.NotEqual(manifest, changed);
        BundleFixtures.ReplaceListed(saved.Path, "manifest.json", Encoding.UTF8.GetBytes(changed));

        Assert.EndsWith("is damaged: manifest.json has no valid entries.", LoadFails(saved.Path).Message);
    }

    [Fact]
    public async Task A_model_read_that_does_not_end_is_refused_at_the_limit_and_the_caller_goes_on()
    {
        // ML.NET's reader loops forever on a damaged array length (found by BundleFuzzTests); this reader blocks instead of
        // spinning, so that the test can let it go at the end.
        using var release = new ManualResetEventSlim();
        var format = ModelFormat.Tabular("stuck", "stuck model", "nothing", _ => () => { release.Wait(); throw new InvalidDataException("released"); });
        var bundle = new BundleReading("stuck.mlwb", null!, new BundleEntries("stuck.mlwb", new Dictionary<string, byte[]>()),
            TaskKind.Regression, null, 1, TimeSpan.FromMilliseconds(300));
        var started = System.Diagnostics.Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<WorkbenchInputException>(() => Task.Run(() => format.LoadTabular(bundle)()));

        Assert.StartsWith("Model file 'stuck.mlwb' is refused: its stuck model was not read within 0.3 s", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"{started.Elapsed}");
        release.Set();
    }

    [Fact]
    public void A_model_read_that_fails_on_its_own_thread_is_damaged_as_before()
    {
        var format = ModelFormat.Tabular("broken", "broken model", "nothing", _ => () => throw new InvalidDataException("bad weights"));
        var bundle = new BundleReading("broken.mlwb", null!, new BundleEntries("broken.mlwb", new Dictionary<string, byte[]>()),
            TaskKind.Regression, null, 1, TimeSpan.FromSeconds(30));

        var e = Assert.Throws<WorkbenchInputException>(() => format.LoadTabular(bundle)());

        Assert.Equal("Model file 'broken.mlwb' is damaged: its broken model cannot be loaded (bad weights).", e.Message);
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Fact]
    public void The_model_read_limit_must_be_positive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => BundleLoadOptions.Default with { MaxModelReadTime = TimeSpan.Zero });

    [Theory]
    [InlineData("manifest.json", "\"sdca\"")]
    [InlineData("featurizer.json", "\"")]
    public async Task Fuzz_finding_text_that_is_not_utf8_inside_a_json_string_is_damaged(string entry, string near)
    {
        // Found by BundleFuzzTests: System.Text.Json parsed such a manifest and threw InvalidOperationException only when
        // a hyperparameter's string was read.
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var bytes = BundleFixtures.Entry(saved.Path, entry);
        var at = Encoding.UTF8.GetString(bytes).IndexOf(near, StringComparison.Ordinal);
        Assert.True(at > 0, entry);
        bytes[at + 1] = 0xD5; // a lead byte without its continuation, inside the string
        BundleFixtures.ReplaceListed(saved.Path, entry, bytes);

        Assert.EndsWith($"is damaged: {entry} is not UTF-8 text.", LoadFails(saved.Path).Message);
    }

    [Fact]
    public async Task Fuzz_finding_a_broken_featurizer_is_refused_in_one_line()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var featurizer = Encoding.UTF8.GetString(BundleFixtures.Entry(saved.Path, "featurizer.json"));
        var at = featurizer.IndexOf("false", StringComparison.Ordinal);
        Assert.True(at > 0, featurizer);
        BundleFixtures.ReplaceListed(saved.Path, "featurizer.json", Encoding.UTF8.GetBytes(featurizer[..at] + "fa9se" + featurizer[(at + 5)..]));

        Assert.Contains("is damaged: featurizer.json cannot be used", LoadFails(saved.Path).Message); // LoadFails: one line
    }

    [Fact]
    public void The_known_loader_assemblies_are_ml_net_s_own()
    {
        var known = MlNetModelCheck.KnownAssemblyNames;
        Assert.Contains("Microsoft.ML.Data", known);
        Assert.Contains("Microsoft.ML.StandardTrainers", known);
        Assert.All(known, name => Assert.StartsWith("Microsoft.ML", name));
    }
}
