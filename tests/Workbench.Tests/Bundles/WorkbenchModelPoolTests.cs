using System.Collections.Concurrent;
using System.Diagnostics;
using MLWorkbench.Bundles;
using MLWorkbench.Tasks;
using MLWorkbench.Serving;

namespace MLWorkbench.Tests.Bundles;

public class WorkbenchModelPoolTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);

    private static readonly IReadOnlyDictionary<string, string?> Row =
        new Dictionary<string, string?> { ["x1"] = "0.25", ["x2"] = "-0.5", ["x3"] = "0.75", ["colour"] = "red" };

    /// <summary>Regression bundles of the same columns from different trainers (so each predicts differently), with what each predicts for <see cref="Row"/>.</summary>
    private static async Task<(string Path, float Expected)[]> VersionsAsync(TempFolder dir, params string[] trainers)
    {
        var csv = Synthetic.LinearCsv(dir.Path, 150);
        var versions = new List<(string, float)>();
        foreach (var trainer in trainers)
        {
            var saved = await BundleFixtures.TrainAndSaveAsync(dir.Path, csv, "y", TaskKind.Regression, trainer, $"{trainer}.mlwb");
            using var model = WorkbenchModel.Load(saved.Path);
            versions.Add((saved.Path, model.Predict(Row).Value!.Value));
        }
        Assert.Equal(trainers.Length, versions.Select(v => v.Item2).Distinct().Count());
        return versions.ToArray();
    }

    /// <summary>Replaces <paramref name="target"/> as a careful writer does: a temporary file in the same folder, then a rename.</summary>
    private static void ReplaceAtomically(string source, string target)
    {
        var temp = target + ".incoming";
        File.Copy(source, temp, overwrite: true);
        File.Move(temp, target, overwrite: true);
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail($"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Replacing_the_file_under_load_fails_no_request_and_switches_to_the_new_model()
    {
        using var dir = new TempFolder();
        var versions = await VersionsAsync(dir, "sdca", "lightgbm", "fasttree", "ogd");
        var served = Path.Combine(dir.Path, "serve", "model.mlwb");
        Directory.CreateDirectory(Path.GetDirectoryName(served)!);
        File.Copy(versions[0].Path, served);
        using var pool = new WorkbenchModelPool();
        var events = new ConcurrentQueue<ModelReloadEventArgs>();
        pool.Reloaded += (_, e) => events.Enqueue(e);
        pool.Add("price", served, reloadOnChange: true, reloadDelay: Delay);

        var errors = new ConcurrentQueue<Exception>();
        var seen = new ConcurrentDictionary<float, int>();
        var latest = new float[4];
        var done = new long[4];
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(w => Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var value = w % 2 == 0
                        ? pool.Predict("price", Row).Value!.Value
                        : pool.PredictBatch("price", [Row, Row])[1].Prediction!.Value!.Value;
                    seen.AddOrUpdate(value, 1, (_, n) => n + 1);
                    Volatile.Write(ref latest[w], value);
                    Interlocked.Increment(ref done[w]);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        for (var v = 1; v < versions.Length; v++)
        {
            var (path, expected) = versions[v];
            if (v == versions.Length - 1) File.WriteAllBytes(served, File.ReadAllBytes(path)); // in place, not atomic
            else ReplaceAtomically(path, served);
            await WaitUntil(() => pool.GetStatus("price").Version == v + 1, $"version {v + 1} serves");
            // A request running at the swap finishes on the old model; each worker's next one starts on the new model.
            var before = Enumerable.Range(0, 4).Select(w => Interlocked.Read(ref done[w])).ToArray();
            await WaitUntil(() => Enumerable.Range(0, 4).All(w => Interlocked.Read(ref done[w]) >= before[w] + 2), "every worker ran two more requests");
            Assert.All(Enumerable.Range(0, 4), w => Assert.Equal(expected, Volatile.Read(ref latest[w])));
            Assert.Equal(expected, pool.Predict("price", Row).Value);
        }
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.Empty(errors);
        Assert.True(done.Sum() > 100, $"only {done.Sum()} requests ran");
        Assert.Subset(versions.Select(v => v.Expected).ToHashSet(), seen.Keys.ToHashSet());
        Assert.Equal(versions.Length, seen.Count);
        var status = pool.GetStatus("price");
        Assert.Equal(versions.Length, status.Version);
        Assert.Equal("ogd", status.Manifest.Trainer);
        Assert.Null(status.LastError);
        Assert.All(events, e => Assert.True(e.Succeeded, e.Error));
        Assert.Equal([2, 3, 4], events.Select(e => e.Version).Distinct());
    }

    [Fact]
    public async Task A_damaged_or_unsuitable_file_leaves_the_old_model_serving_and_is_recorded()
    {
        using var dir = new TempFolder();
        var versions = await VersionsAsync(dir, "sdca", "lightgbm");
        var classifier = await BundleFixtures.MulticlassAsync(dir, "sdca");
        var served = Path.Combine(dir.Path, "model-served.mlwb");
        File.Copy(versions[0].Path, served);
        using var pool = new WorkbenchModelPool();
        var events = new ConcurrentQueue<ModelReloadEventArgs>();
        pool.Reloaded += (_, e) => events.Enqueue(e);
        pool.Reloaded += (_, _) => throw new InvalidOperationException("a broken handler is ignored");
        pool.Add("price", served, reloadOnChange: true, reloadDelay: Delay);

        var bytes = File.ReadAllBytes(versions[1].Path);
        var half = Path.Combine(dir.Path, "half.mlwb");
        File.WriteAllBytes(half, bytes[..(bytes.Length / 2)]);
        ReplaceAtomically(half, served);
        await WaitUntil(() => !events.IsEmpty, "the damage is reported");
        var status = pool.GetStatus("price");
        Assert.Equal(1, status.Version);
        Assert.Equal($"Model file '{served}' is damaged or truncated: it is not a complete .mlwb (zip) file.", status.LastError);
        Assert.NotNull(status.LastErrorUtc);
        Assert.Equal(versions[0].Expected, pool.Predict("price", Row).Value);
        Assert.Contains(events, e => !e.Succeeded && e.Version == 1 && e.Name == "price");

        ReplaceAtomically(classifier.Path, served);
        await WaitUntil(() => pool.GetStatus("price").LastError?.Contains("keeps the task") == true, "the task change is refused");
        Assert.Equal($"Model file '{served}' now holds a multiclass model, but 'price' serves a regression model; a reload keeps the task.", pool.GetStatus("price").LastError);
        Assert.Equal(versions[0].Expected, pool.Predict("price", Row).Value);

        ReplaceAtomically(versions[1].Path, served);
        await WaitUntil(() => pool.GetStatus("price").Version == 2, "the good file serves");
        Assert.Null(pool.GetStatus("price").LastError);
        Assert.Equal(versions[1].Expected, pool.Predict("price", Row).Value);
        var manual = await Assert.ThrowsAsync<WorkbenchInputException>(() => { File.Delete(served); return pool.ReloadAsync("price"); });
        Assert.Equal($"Model file '{served}' does not exist.", manual.Message);
        Assert.Equal(versions[1].Expected, pool.Predict("price", Row).Value);
    }

    [Fact]
    public async Task A_rented_model_outlives_a_reload_and_is_disposed_when_given_back()
    {
        using var dir = new TempFolder();
        var versions = await VersionsAsync(dir, "sdca", "lightgbm");
        var served = Path.Combine(dir.Path, "model-served.mlwb");
        File.Copy(versions[0].Path, served);
        using var pool = new WorkbenchModelPool();
        pool.Add("price", served); // not watched: reloads only when asked
        Assert.False(await pool.ReloadAsync("price"));

        var lease = pool.Rent("price");
        Assert.Equal(1, lease.Version);
        ReplaceAtomically(versions[1].Path, served);
        Assert.True(await pool.ReloadAsync("price"));
        Assert.Equal(versions[1].Expected, pool.Predict("price", Row).Value);
        Assert.Equal(versions[0].Expected, lease.Model.Predict(Row).Value); // still the old model
        lease.Dispose();
        lease.Dispose(); // twice is harmless
        Assert.Throws<ObjectDisposedException>(() => lease.Model.Predict(Row));
        Assert.Equal(2, pool.GetStatus("price").Version);
    }

    [Fact]
    public async Task Bad_names_and_files_get_one_sentence()
    {
        using var dir = new TempFolder();
        var versions = await VersionsAsync(dir, "sdca");
        var pool = new WorkbenchModelPool();
        var e = Assert.Throws<ArgumentException>(() => pool.Predict("nope", Row));
        Assert.StartsWith("No model is named 'nope': the pool serves none yet.", e.Message);
        pool.Add("a", versions[0].Path);
        pool.Add("b", versions[0].Path, reloadOnChange: true);
        Assert.Equal(["a", "b"], pool.Names);
        Assert.True(pool.Contains("b"));
        e = Assert.Throws<ArgumentException>(() => pool.Add("a", versions[0].Path));
        Assert.StartsWith("A model named 'a' is already served.", e.Message);
        e = Assert.Throws<ArgumentException>(() => pool.GetStatus("c"));
        Assert.StartsWith("No model is named 'c'; the pool serves 'a', 'b'.", e.Message);
        var missing = Path.Combine(dir.Path, "none.mlwb");
        var load = Assert.Throws<WorkbenchInputException>(() => pool.Add("c", missing));
        Assert.Equal($"Model file '{missing}' does not exist.", load.Message);
        Assert.False(pool.Contains("c"));
        var json = pool.PredictJson("a", """{"x1": 0.25, "x2": -0.5, "x3": 0.75, "colour": "red"}""");
        Assert.Contains("\"value\"", json);
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Predict("a", Row));
    }
}
