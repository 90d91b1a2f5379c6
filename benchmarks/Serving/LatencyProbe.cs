using System.Diagnostics;
using System.Globalization;
using MLWorkbench.Serving;

namespace MLWorkbench.Benchmarks.Serving;

/// <summary>
/// Per-call latency percentiles (BenchmarkDotNet reports per-iteration means, which hide the tail): times every call with
/// Stopwatch timestamps on one thread, after a warm-up past tiered compilation. The paths take turns in blocks of 1,000
/// calls, so a change in the machine's load hits them alike.
/// </summary>
internal static class LatencyProbe
{
    public static void Run(int calls)
    {
        using var fixture = ServingFixture.Create();
        using var bare = fixture.CreateBareEngine();
        var rows = fixture.Rows;
        var paths = new (string Name, Func<int, float> Call)[]
        {
            ("bare PredictionEngine, encoded row", i => bare.Predict(fixture.Encoded[i % rows.Length])),
            ("bare PredictionEngine + encoding the text row", i => bare.Predict(fixture.Model.EncodeFeatures(rows[i % rows.Length]))),
            ("WorkbenchModel.Predict (text row)", i => fixture.Model.Predict(rows[i % rows.Length]).Value ?? 0),
            ("WorkbenchModelPool.Predict (text row)", i => fixture.Pool.Predict(ServingFixture.ModelName, rows[i % rows.Length]).Value ?? 0),
        };
        Console.WriteLine($"Model: {fixture.Path} ({fixture.FeatureCount} features, {rows.Length} rows); {calls:N0} timed calls per path, one thread.");
        var sink = 0f;
        foreach (var (_, call) in paths)
            for (var (clock, i) = (Stopwatch.StartNew(), 0); clock.Elapsed < TimeSpan.FromSeconds(2); i++) sink += call(i);
        const int block = 1000;
        var ticks = paths.Select(_ => new long[calls / block * block]).ToArray();
        for (var start = 0; start + block <= ticks[0].Length; start += block)
            for (var p = 0; p < paths.Length; p++)
                for (var i = start; i < start + block; i++)
                {
                    var begin = Stopwatch.GetTimestamp();
                    sink += paths[p].Call(i);
                    ticks[p][i] = Stopwatch.GetTimestamp() - begin;
                }
        Console.WriteLine("| path | median µs | p90 µs | p99 µs | p99.9 µs | mean µs |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (var p = 0; p < paths.Length; p++)
        {
            var sorted = ticks[p].Order().ToArray();
            double Micro(double t) => t * 1e6 / Stopwatch.Frequency;
            double At(double q) => Micro(sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {paths[p].Name} | {At(0.5):F2} | {At(0.9):F2} | {At(0.99):F2} | {At(0.999):F2} | {Micro(sorted.Average()):F2} |"));
        }
        if (float.IsNaN(sink)) Console.WriteLine("(a prediction was NaN)");
    }
}
