using System.Text.Json.Nodes;
using System.Security.Cryptography;
using System.IO.Compression;
using System.Globalization;
using System.Text;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Tasks;
using MLWorkbench.Search;

namespace MLWorkbench.Tests.Bundles;

/// <summary>A model trained on a small data file, saved as a bundle, with what it predicted for every row before saving.</summary>
internal sealed record SavedModel(string Path, TabularData Data, string Label, Predictions Before)
{
    /// <summary>Every data row as column name → text (label included; a model ignores columns it does not read).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string?>> Rows =>
        Data.Rows.Select(r => (IReadOnlyDictionary<string, string?>)Data.ColumnNames.Zip(r).ToDictionary(p => p.First, p => (string?)p.Second)).ToArray();
}

internal static class BundleFixtures
{
    /// <summary>
    /// Three classes (low, mid, high) from x1 and x2, with every column kind: x2 has missing values, flag is yes/no,
    /// day is a date, colour a category, note free text.
    /// </summary>
    public static string MulticlassCsv(string folder, int rows = 300, int seed = 11)
    {
        var random = new Random(seed);
        string[] words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"];
        var text = new StringBuilder("x1,x2,flag,day,colour,note,label\n");
        for (var i = 0; i < rows; i++)
        {
            double x1 = random.NextDouble() * 2 - 1, x2 = random.NextDouble() * 2 - 1;
            var colour = (i % 3) switch { 0 => "red", 1 => "green", _ => "blue" };
            var score = x1 + 0.5 * x2 + (colour == "red" ? 0.3 : 0);
            var label = score < -0.3 ? "low" : score < 0.3 ? "mid" : "high";
            var x2Text = i % 10 == 3 ? "" : x2.ToString("R", CultureInfo.InvariantCulture);
            var note = string.Join(' ', Enumerable.Range(0, 3 + random.Next(3)).Select(_ => words[random.Next(words.Length)]));
            var day = new DateTime(2024, 1, 1).AddDays(i).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"{x1:R},{x2Text},{(random.Next(2) == 0 ? "yes" : "no")},{day},{colour},{note},{label}\n");
        }
        var path = System.IO.Path.Combine(folder, "classes.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>Trains <paramref name="trainer"/> at its cheap starting point on every row and saves it to <c>model.mlwb</c> in <paramref name="folder"/>.</summary>
    public static async Task<SavedModel> TrainAndSaveAsync(string folder, string csv, string label, TaskKind task, string trainer, string fileName = "model.mlwb")
    {
        var data = TabularData.LoadCsv(csv);
        var rows = Enumerable.Range(0, data.Rows.Count).ToArray();
        var featurizer = TabularFeaturizer.Fit(data, label, task, rows);
        var matrix = featurizer.Transform(data, rows);
        var definition = TrainerCatalog.Find(trainer)!;
        var candidate = definition.Create(task, definition.Space(task).Initial);
        var context = new TrainContext(task, featurizer.ClassNames?.Count ?? 0, 5, ComputeDevice.Cpu);
        using var model = await candidate.FitAsync(matrix, matrix, context, CancellationToken.None);
        var before = model.Predict(matrix);
        var path = System.IO.Path.Combine(folder, fileName);
        var source = new BundleSource(label, candidate.Name, candidate.Family, candidate.Hyperparameters,
            new Dictionary<string, double> { ["m"] = 0.5 }, new Dictionary<string, double> { ["m"] = 0.25 }, data.Sha256);
        await ModelBundle.SaveAsync(path, model, featurizer, source, CancellationToken.None);
        return new SavedModel(path, data, label, before);
    }

    public static Task<SavedModel> RegressionAsync(TempFolder dir, string trainer = "lightgbm") =>
        TrainAndSaveAsync(dir.Path, Synthetic.LinearCsv(dir.Path, 200), "y", TaskKind.Regression, trainer);

    public static Task<SavedModel> MulticlassAsync(TempFolder dir, string trainer = "lightgbm") =>
        TrainAndSaveAsync(dir.Path, MulticlassCsv(dir.Path, 240), "label", TaskKind.MulticlassClassification, trainer);

    /// <summary>Asserts that a prediction equals row <paramref name="row"/> of the predictions made before saving, to 1e-5.</summary>
    public static void AssertSame(SavedModel saved, int row, Prediction after, IReadOnlyList<string>? classes)
    {
        if (classes is null)
        {
            Assert.Equal(saved.Before.Values[row], after.Value!.Value, 1e-5);
            return;
        }
        Assert.Equal(classes[(int)saved.Before.Values[row]], after.PredictedLabel);
        for (var c = 0; c < classes.Count; c++) Assert.Equal(saved.Before.Probabilities![row][c], after.Probabilities![classes[c]], 1e-5);
    }

    /// <summary>Replaces <paramref name="entry"/> of the bundle file and lists its new size and checksum in the manifest.</summary>
    public static void ReplaceListed(string path, string entry, byte[] bytes) => File.WriteAllBytes(path, WithEntry(File.ReadAllBytes(path), entry, bytes));

    /// <summary>
    /// The bundle's bytes with one entry replaced and the manifest's size and checksum for it fixed up (unless it is the
    /// manifest itself), so that the new bytes get past the checksums to the parsers behind them.
    /// </summary>
    public static byte[] WithEntry(byte[] bundle, string name, byte[] content)
    {
        var buffer = new MemoryStream();
        buffer.Write(bundle);
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Update, leaveOpen: true))
        {
            zip.GetEntry(name)!.Delete();
            using (var stream = zip.CreateEntry(name).Open()) stream.Write(content);
            if (name != BundleArchive.ManifestEntry)
            {
                var manifestEntry = zip.GetEntry(BundleArchive.ManifestEntry)!;
                JsonNode manifest;
                using (var reader = manifestEntry.Open()) manifest = JsonNode.Parse(reader)!;
                foreach (var listed in manifest["entries"]!.AsArray())
                    if ((string?)listed!["name"] == name)
                    {
                        listed["sha256"] = Convert.ToHexStringLower(SHA256.HashData(content));
                        listed["bytes"] = content.LongLength;
                    }
                manifestEntry.Delete();
                using var writer = zip.CreateEntry(BundleArchive.ManifestEntry).Open();
                writer.Write(Encoding.UTF8.GetBytes(manifest.ToJsonString()));
            }
        }
        return buffer.ToArray();
    }

    /// <summary>The bytes of one entry of the bundle file.</summary>
    public static byte[] Entry(string path, string entry)
    {
        using var zip = ZipFile.OpenRead(path);
        using var stream = zip.GetEntry(entry)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
