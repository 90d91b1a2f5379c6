using System.Diagnostics;
using System.Globalization;
using MLWorkbench.Serving;

namespace MLWorkbench.Benchmarks.Serving;

/// <summary>
/// Rows per second from text rows on 1 and 2 threads, bare engines (one per thread, rows encoded by the model's
/// featurizer) against one shared WorkbenchModelPool. The two alternate in short rounds, so a change in the machine's
/// load during the run hits both alike; the median round of each is reported, and the overhead is the median of the
/// per-round ratios (bare / pool − 1), which cancels most of the drift.
/// </summary>
internal static class ThroughputProbe
{
    public static void Run(int rounds, TimeSpan perRound)
    {
        using var fixture = ServingFixture.Create();
        var engines = new[] { fixture.CreateBareEngine(), fixture.CreateBareEngine() };
        Console.WriteLine($"Model: {fixture.Path}; {rounds} alternating rounds of {perRound.TotalSeconds:F1} s per path and thread count.");
        Console.WriteLine("| threads | bare engines, rows/s | shared pool, rows/s | pool overhead (median of rounds) |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var threads in new[] { 1, 2 })
        {
            var bare = new List<double>();
            var pool = new List<double>();
            Rate(threads, TimeSpan.FromSeconds(1), (t, row) => engines[t].Predict(fixture.Model.EncodeFeatures(row)), fixture);
            Rate(threads, TimeSpan.FromSeconds(1), (_, row) => fixture.Pool.Predict(ServingFixture.ModelName, row).Value ?? 0, fixture);
            for (var r = 0; r < rounds; r++)
            {
                bare.Add(Rate(threads, perRound, (t, row) => engines[t].Predict(fixture.Model.EncodeFeatures(row)), fixture));
                pool.Add(Rate(threads, perRound, (_, row) => fixture.Pool.Predict(ServingFixture.ModelName, row).Value ?? 0, fixture));
            }
            var overhead = Median(bare.Zip(pool, (b, p) => b / p - 1).ToList());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {threads} | {Median(bare):N0} | {Median(pool):N0} | {overhead * 100:+0.0;-0.0}% |"));
        }
        foreach (var engine in engines) engine.Dispose();
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static double Rate(int threads, TimeSpan duration, Func<int, IReadOnlyDictionary<string, string?>, float> predict, ServingFixture fixture)
    {
        var rows = fixture.Rows;
        var counts = new long[threads];
        using var start = new Barrier(threads + 1);
        var stopAt = 0L;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            var i = t * 997;
            var n = 0L;
            var sink = 0f;
            while (Stopwatch.GetTimestamp() < Volatile.Read(ref stopAt))
            {
                for (var k = 0; k < 32; k++) sink += predict(t, rows[i++ % rows.Length]);
                n += 32;
            }
            counts[t] = float.IsNaN(sink) ? -n : n;
        })).ToArray();
        foreach (var w in workers) w.Start();
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref stopAt, Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        start.SignalAndWait();
        foreach (var w in workers) w.Join();
        return Math.Abs(counts.Sum()) / clock.Elapsed.TotalSeconds;
    }
}
