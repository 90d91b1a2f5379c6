using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using MLWorkbench.Bundles;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.Bundles;

public class DamagedBundleTests
{
    private static WorkbenchInputException LoadFails(string path)
    {
        var e = Assert.Throws<WorkbenchInputException>(() => WorkbenchModel.Load(path));
        Assert.DoesNotContain("\n", e.Message);
        Assert.Contains(path, e.Message);
        return e;
    }

    /// <summary>Rewrites one entry of a bundle, leaving a valid zip.</summary>
    private static void Rewrite(string path, string entry, Func<string, string> change)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var old = zip.GetEntry(entry)!;
        string text;
        using (var reader = new StreamReader(old.Open())) text = reader.ReadToEnd();
        old.Delete();
        using var writer = new StreamWriter(zip.CreateEntry(entry).Open(), new UTF8Encoding(false));
        writer.Write(change(text));
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = LoadFails("/nonexistent/model.mlwb");
        Assert.Equal("Model file '/nonexistent/model.mlwb' does not exist.", e.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_a_zip_is_refused()
    {
        using var dir = new TempFolder();
        var path = dir.File("model.mlwb", "x1,x2\n1,2\n");
        Assert.Contains("is damaged or truncated: it is not a complete .mlwb (zip) file", LoadFails(path).Message);
        var missing = await Assert.ThrowsAsync<WorkbenchInputException>(() => WorkbenchModel.LoadAsync(Path.Combine(dir.Path, "none.mlwb")));
        Assert.Contains("does not exist", missing.Message);
    }

    [Fact]
    public async Task A_truncated_bundle_is_refused()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "lightgbm");
        var bytes = await File.ReadAllBytesAsync(saved.Path);
        foreach (var length in new[] { bytes.Length - 1, bytes.Length / 2, 10, 0 })
        {
            await File.WriteAllBytesAsync(saved.Path, bytes[..length]);
            Assert.Contains("is damaged or truncated", LoadFails(saved.Path).Message);
        }
    }

    [Fact]
    public async Task A_flipped_byte_in_the_model_is_detected()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "lightgbm");
        var bytes = await File.ReadAllBytesAsync(saved.Path);
        // The local header of model/mlnet.zip: sizes at +18, name length at +26, extra length at +28, data after the name.
        var name = Encoding.ASCII.GetBytes("model/mlnet.zip");
        var header = 0;
        while (!(bytes[header] == 'P' && bytes[header + 1] == 'K' && bytes[header + 2] == 3 && bytes[header + 3] == 4
                 && bytes.AsSpan(header + 30, name.Length).SequenceEqual(name))) header++;
        var compressed = BitConverter.ToInt32(bytes, header + 18);
        var data = header + 30 + BitConverter.ToUInt16(bytes, header + 26) + BitConverter.ToUInt16(bytes, header + 28);
        Assert.True(compressed > 100);
        bytes[data + compressed / 2] ^= 0x10;
        await File.WriteAllBytesAsync(saved.Path, bytes);
        var message = LoadFails(saved.Path).Message;
        Assert.Contains("is damaged: entry model/mlnet.zip", message);
    }

    [Fact]
    public async Task An_entry_changed_inside_a_valid_zip_fails_its_checksum()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.MulticlassAsync(dir, "mlp");
        Rewrite(saved.Path, "featurizer.json", text => text.Replace("\"x1\"", "\"x9\""));
        Assert.Equal($"Model file '{saved.Path}' is damaged: entry featurizer.json does not match its checksum.", LoadFails(saved.Path).Message);
    }

    [Fact]
    public async Task A_missing_entry_is_named()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.MulticlassAsync(dir, "mlp");
        using (var zip = ZipFile.Open(saved.Path, ZipArchiveMode.Update)) zip.GetEntry("model/weights.bin")!.Delete();
        Assert.Equal($"Model file '{saved.Path}' is damaged: entry model/weights.bin is missing.", LoadFails(saved.Path).Message);
        using (var zip = ZipFile.Open(saved.Path, ZipArchiveMode.Update)) zip.GetEntry("manifest.json")!.Delete();
        Assert.Contains("is not an MLWorkbench model: it has no manifest.json", LoadFails(saved.Path).Message);
    }

    [Fact]
    public async Task A_bundle_from_a_newer_format_asks_for_an_upgrade()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        Rewrite(saved.Path, "manifest.json", text =>
        {
            var json = JsonNode.Parse(text)!;
            json["formatVersion"] = ModelManifest.CurrentFormatVersion + 1;
            json["libraryVersion"] = "9.4.0";
            json["inputs"] = "a shape this version does not know";
            return json.ToJsonString();
        });
        var message = LoadFails(saved.Path).Message;
        Assert.Contains("was written by MLWorkbench 9.4.0 in bundle format 2; this is MLWorkbench ", message);
        Assert.EndsWith("so upgrade MLWorkbench to load it.", message);
    }

    [Fact]
    public async Task A_manifest_that_is_not_json_is_damaged()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        Rewrite(saved.Path, "manifest.json", text => text[..(text.Length / 2)]);
        Assert.Equal($"Model file '{saved.Path}' is damaged: manifest.json is not valid JSON.", LoadFails(saved.Path).Message);
    }
}
