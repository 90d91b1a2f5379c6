using System.Globalization;
using System.Text;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Tasks;
using MLWorkbench.Search;

namespace MLWorkbench.Samples.Tests;

/// <summary>Small regression bundles trained in the test (no fixture files to keep in step with the bundle format).</summary>
internal static class TinyModels
{
    /// <summary>y = 1 + 2·x1 − x2 (+1 for red) over 120 rows: x1 and x2 numbers without missing values, colour a category.</summary>
    public static string Csv(string folder)
    {
        var random = new Random(3);
        var text = new StringBuilder("x1,x2,colour,y\n");
        for (var i = 0; i < 120; i++)
        {
            double x1 = random.NextDouble() * 2 - 1, x2 = random.NextDouble() * 2 - 1;
            var colour = (i % 3) switch { 0 => "red", 1 => "green", _ => "blue" };
            var y = 1 + 2 * x1 - x2 + (colour == "red" ? 1 : 0) + 0.05 * random.NextDouble();
            text.Append(CultureInfo.InvariantCulture, $"{x1:R},{x2:R},{colour},{y:R}\n");
        }
        var path = Path.Combine(folder, "tiny.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>Trains <paramref name="trainer"/> at its cheap starting point on <paramref name="csv"/> and saves the bundle.</summary>
    public static async Task<string> TrainAsync(string csv, string trainer, string path)
    {
        var data = TabularData.LoadCsv(csv);
        var rows = Enumerable.Range(0, data.Rows.Count).ToArray();
        var featurizer = TabularFeaturizer.Fit(data, "y", TaskKind.Regression, rows);
        var matrix = featurizer.Transform(data, rows);
        var definition = TrainerCatalog.Find(trainer)!;
        var candidate = definition.Create(TaskKind.Regression, definition.Space(TaskKind.Regression).Initial);
        using var model = await candidate.FitAsync(matrix, matrix, new TrainContext(TaskKind.Regression, 0, 1, ComputeDevice.Cpu), CancellationToken.None);
        var source = new BundleSource("y", candidate.Name, candidate.Family, candidate.Hyperparameters,
            new Dictionary<string, double>(), null, data.Sha256);
        await ModelBundle.SaveAsync(path, model, featurizer, source, CancellationToken.None);
        return path;
    }
}

/// <summary>A temporary folder deleted after the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlwb-samples-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
