using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Tasks;
using MLWorkbench.Models.MlNet;
using MLWorkbench.Serving;

namespace MLWorkbench.Benchmarks.Serving;

/// <summary>
/// Where WorkbenchModel switches from the prediction engine to a data view: per-row cost of encoded rows through one loaded
/// copy, by its prediction engine and by ML.NET's transform over a data view (the training path), for batches of 1 to 1,024 rows.
/// </summary>
internal static class BatchPathProbe
{
    public static void Run()
    {
        using var fixture = ServingFixture.Create();
        using var zip = ZipFile.OpenRead(fixture.Path);
        using var bytes = new MemoryStream();
        using (var entry = zip.GetEntry("model/mlnet.zip")!.Open()) entry.CopyTo(bytes);
        using var copy = MlNetServingModel.Load(bytes.ToArray(), TaskKind.Regression, fixture.FeatureCount);
        Console.WriteLine("| rows per call | prediction engine, row by row: µs per row | transform over a data view: µs per row |");
        Console.WriteLine("|---|---|---|");
        foreach (var rows in new[] { 1, 4, 16, 64, 256, 1024 })
        {
            var matrix = new FeatureMatrix(fixture.Encoded.Take(rows).SelectMany(x => x).ToArray(), new float[rows], fixture.Model.Manifest.FeatureNames);
            var repeat = Math.Max(1, 1024 / rows);
            // Warm both well past tiered compilation, then alternate, so neither is measured cold or in a quieter minute.
            var paths = new (Action Run, List<double> Times)[] { (() => copy.Predict(matrix), []), (() => copy.PredictThroughDataView(matrix), []) };
            foreach (var path in paths)
                for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(rows == 1 ? 3 : 1);) path.Run();
            for (var i = 0; i < 15; i++)
                foreach (var path in paths)
                {
                    var clock = Stopwatch.StartNew();
                    for (var k = 0; k < repeat; k++) path.Run();
                    path.Times.Add(clock.Elapsed.TotalMicroseconds / (rows * repeat));
                }
            var medians = paths.Select(p => p.Times.Order().ElementAt(p.Times.Count / 2)).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {rows} | {medians[0]:F2} | {medians[1]:F2} |"));
        }
    }
}
