using System.Diagnostics;
using System.Globalization;

namespace MLWorkbench.Benchmarks.Serving;

/// <summary>
/// Per-call latency percentiles (BenchmarkDotNet reports per-iteration means, which hide the tail): times every call of
/// a long single-threaded run with Stopwatch timestamps, after a warm-up.
/// </summary>
internal static class LatencyProbe
{
    public static void Run(int calls)
    {
        using var fixture = ServingFixture.Create();
        using var bare = fixture.CreateBareEngine();
        Console.WriteLine($"Model: {fixture.Path} ({fixture.FeatureCount} features, {fixture.Rows.Length} rows); {calls:N0} timed calls each, one thread.");
        Console.WriteLine("| path | median µs | p90 µs | p99 µs | p99.9 µs | mean µs |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Measure("bare PredictionEngine, encoded row", calls, i => bare.Predict(fixture.Encoded[i % fixture.Encoded.Length]));
        Measure("bare PredictionEngine + encoding", calls, i => bare.Predict(fixture.Model.EncodeFeatures(fixture.Rows[i % fixture.Rows.Length])));
        Measure("WorkbenchModel.Predict (text row)", calls, i => fixture.Model.Predict(fixture.Rows[i % fixture.Rows.Length]).Value ?? 0);
        Measure("WorkbenchModelPool.Predict (text row)", calls, i => fixture.Pool.Predict(ServingFixture.ModelName, fixture.Rows[i % fixture.Rows.Length]).Value ?? 0);
    }

    private static void Measure(string name, int calls, Func<int, float> call)
    {
        var sink = 0f;
        for (var i = 0; i < Math.Min(calls, 20_000); i++) sink += call(i);
        var ticks = new long[calls];
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            sink += call(i);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
        Array.Sort(ticks);
        double Micro(double t) => t * 1e6 / Stopwatch.Frequency;
        double At(double q) => Micro(ticks[Math.Min(calls - 1, (int)(q * calls))]);
        var mean = Micro(ticks.Average());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {At(0.5):F2} | {At(0.9):F2} | {At(0.99):F2} | {At(0.999):F2} | {mean:F2} |{(float.IsNaN(sink) ? " (NaN)" : "")}"));
    }
}
