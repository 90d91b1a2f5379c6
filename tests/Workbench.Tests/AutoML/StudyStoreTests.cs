using Microsoft.Data.Sqlite;
using MLWorkbench.AutoML;

namespace MLWorkbench.Tests.AutoML;

public class StudyStoreTests
{
    private static readonly DateTimeOffset Finished = new(2025, 3, 4, 5, 6, 7, 123, TimeSpan.FromHours(2));

    private static StoredTrial Trial(int number, string trainer = "lightgbm", double? score = 0.5,
        TrialState state = TrialState.Complete, string? reason = null) =>
        new(number,
            new TrialConfig(trainer, new Dictionary<string, object>
            {
                ["learning_rate"] = 0.1 + number,
                ["leaves"] = 31 + number,
                ["booster"] = "gbdt",
            }),
            state, score,
            [new Dictionary<string, double> { ["rmse"] = 1.0 / 3 + number, ["r2"] = 0.9 }],
            Seconds: 1.25 + number, reason, Finished.AddSeconds(number));

    private static void AssertSameBits(double expected, double actual) =>
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(actual));

    [Fact]
    public async Task Round_trip_keeps_every_value_and_its_type()
    {
        using var dir = new TempFolder();
        double[] doubles = [0.1 + 0.2, 1.0 / 3, -0.0, double.Epsilon, double.MaxValue, double.MinValue, 1e-300,
            double.PositiveInfinity, double.NegativeInfinity, double.NaN, 123456789.0, -2.5e17];
        var parameters = new Dictionary<string, object>
        {
            ["int"] = 42,
            ["negative_int"] = int.MinValue,
            ["whole_double"] = 3.0,
            ["string"] = "gbdt \"quoted\" ünïcode, {json}",
            ["empty"] = "",
            ["number_like_string"] = "12",
        };
        for (var i = 0; i < doubles.Length; i++)
            parameters["d" + i] = doubles[i];
        var folds = new List<IReadOnlyDictionary<string, double>>
        {
            new Dictionary<string, double> { ["rmse"] = 0.1 + 0.2, ["r2"] = double.NaN, ["mae"] = double.PositiveInfinity },
            new Dictionary<string, double> { ["rmse"] = 1.0 / 7, ["r2"] = -0.0, ["mae"] = double.NegativeInfinity },
        };
        var trial = new StoredTrial(7, new TrialConfig("torch-mlp", parameters), TrialState.Pruned, double.NaN,
            folds, double.PositiveInfinity, "pruned after fold 2", Finished);

        using (var store = new SqliteStudyStore(Path.Combine(dir.Path, "nested", "folder", "study.db")))
        {
            await store.OpenAsync("s", "fp");
            await store.SaveTrialAsync(trial);
        }

        using var reopened = new SqliteStudyStore(Path.Combine(dir.Path, "nested", "folder", "study.db"));
        await reopened.OpenAsync("s", "fp");
        var loaded = Assert.Single(await reopened.LoadTrialsAsync());

        Assert.Equal(7, loaded.Number);
        Assert.Equal("torch-mlp", loaded.Config.Trainer);
        Assert.Equal(TrialState.Pruned, loaded.State);
        Assert.True(double.IsNaN(loaded.Score!.Value));
        Assert.Equal(double.PositiveInfinity, loaded.Seconds);
        Assert.Equal("pruned after fold 2", loaded.Reason);
        Assert.Equal(Finished, loaded.FinishedUtc);
        Assert.Equal(Finished.Offset, loaded.FinishedUtc.Offset);
        Assert.Equal(trial.Config.Key, loaded.Config.Key);

        Assert.Equal(parameters.Count, loaded.Config.Parameters.Count);
        foreach (var (name, value) in parameters)
        {
            var back = loaded.Config.Parameters[name];
            Assert.IsType(value.GetType(), back);
            if (value is double d)
                AssertSameBits(d, (double)back);
            else
                Assert.Equal(value, back);
        }

        Assert.Equal(folds.Count, loaded.FoldMetrics.Count);
        for (var f = 0; f < folds.Count; f++)
        {
            Assert.Equal(folds[f].Keys, loaded.FoldMetrics[f].Keys);
            foreach (var (metric, value) in folds[f])
                AssertSameBits(value, loaded.FoldMetrics[f][metric]);
        }
    }

    [Fact]
    public async Task Failed_trial_keeps_null_score_and_empty_folds()
    {
        using var dir = new TempFolder();
        using var store = new SqliteStudyStore(Path.Combine(dir.Path, "study.db"));
        await store.OpenAsync("s", "fp");
        await store.SaveTrialAsync(new StoredTrial(0, new TrialConfig("sdca", new Dictionary<string, object>()),
            TrialState.Failed, null, [], 0.5, "out of memory", Finished));

        var loaded = Assert.Single(await store.LoadTrialsAsync());
        Assert.Null(loaded.Score);
        Assert.Empty(loaded.FoldMetrics);
        Assert.Empty(loaded.Config.Parameters);
        Assert.Equal(TrialState.Failed, loaded.State);
        Assert.Equal("out of memory", loaded.Reason);
    }

    [Fact]
    public async Task Saving_an_existing_number_replaces_it()
    {
        using var dir = new TempFolder();
        using var store = new SqliteStudyStore(Path.Combine(dir.Path, "study.db"));
        await store.OpenAsync("s", "fp");
        await store.SaveTrialAsync(Trial(3, score: null, state: TrialState.Failed, reason: "crashed"));
        await store.SaveTrialAsync(Trial(3, trainer: "fasttree", score: 0.25));

        var loaded = Assert.Single(await store.LoadTrialsAsync());
        Assert.Equal("fasttree", loaded.Config.Trainer);
        Assert.Equal(TrialState.Complete, loaded.State);
        Assert.Equal(0.25, loaded.Score);
        Assert.Null(loaded.Reason);
    }

    [Fact]
    public async Task Trials_load_in_number_order_and_per_study()
    {
        using var dir = new TempFolder();
        using var store = new SqliteStudyStore(Path.Combine(dir.Path, "study.db"));
        await store.OpenAsync("a", "fp");
        foreach (var n in new[] { 5, 0, 12, 3, 1, 2, 10 })
            await store.SaveTrialAsync(Trial(n));
        await store.OpenAsync("b", "other");
        await store.SaveTrialAsync(Trial(4));

        Assert.Equal([4], (await store.LoadTrialsAsync()).Select(t => t.Number));
        await store.OpenAsync("a", "fp");
        Assert.Equal([0, 1, 2, 3, 5, 10, 12], (await store.LoadTrialsAsync()).Select(t => t.Number));
    }

    [Fact]
    public async Task A_different_fingerprint_is_refused_with_a_clear_message()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        using (var store = new SqliteStudyStore(path))
            await store.OpenAsync("churn", "data=abc;folds=5");

        using var again = new SqliteStudyStore(path);
        var e = await Assert.ThrowsAsync<WorkbenchInputException>(() => again.OpenAsync("churn", "data=xyz;folds=5"));
        Assert.Contains(path, e.Message);
        Assert.Contains("'churn'", e.Message);
        Assert.Contains("another study name", e.Message);
        Assert.Contains("delete", e.Message);

        // The same fingerprint still opens, and the refused open did not close the store.
        await again.OpenAsync("churn", "data=abc;folds=5");
        Assert.Empty(await again.LoadTrialsAsync());
    }

    [Fact]
    public async Task Two_workers_on_one_file_see_each_others_trials()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "shared.db");
        using var first = new SqliteStudyStore(path);
        using var second = new SqliteStudyStore(path);
        await first.OpenAsync("s", "fp");
        await second.OpenAsync("s", "fp");

        await first.SaveTrialAsync(Trial(0));
        Assert.Equal([0], (await second.LoadTrialsAsync()).Select(t => t.Number));

        // Both write at the same time: even numbers from one, odd from the other.
        await Task.WhenAll(
            Task.Run(async () => { for (var n = 2; n < 40; n += 2) await first.SaveTrialAsync(Trial(n)); }),
            Task.Run(async () => { for (var n = 1; n < 40; n += 2) await second.SaveTrialAsync(Trial(n)); }));

        Assert.Equal(Enumerable.Range(0, 40), (await first.LoadTrialsAsync()).Select(t => t.Number));
        Assert.Equal(Enumerable.Range(0, 40), (await second.LoadTrialsAsync()).Select(t => t.Number));
    }

    [Fact]
    public async Task One_store_shared_by_threads_serializes_its_calls()
    {
        using var dir = new TempFolder();
        using var store = new SqliteStudyStore(Path.Combine(dir.Path, "study.db"));
        await store.OpenAsync("s", "fp");
        await Task.WhenAll(Enumerable.Range(0, 30).Select(n => Task.Run(() => store.SaveTrialAsync(Trial(n)))));
        Assert.Equal(Enumerable.Range(0, 30), (await store.LoadTrialsAsync()).Select(t => t.Number));
    }

    [Fact]
    public async Task A_saved_trial_survives_a_run_that_never_closed_and_a_reopen()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        var killed = new SqliteStudyStore(path);
        await killed.OpenAsync("s", "fp");
        for (var n = 0; n < 5; n++)
            await killed.SaveTrialAsync(Trial(n));

        // The "killed" run never closes; a resumed run opens the file beside it and finds every trial.
        using (var resumed = new SqliteStudyStore(path))
        {
            await resumed.OpenAsync("s", "fp");
            Assert.Equal(Enumerable.Range(0, 5), (await resumed.LoadTrialsAsync()).Select(t => t.Number));
            await resumed.SaveTrialAsync(Trial(5));
        }

        killed.Dispose();
        killed.Dispose(); // idempotent

        using var reopened = new SqliteStudyStore(path);
        await reopened.OpenAsync("s", "fp");
        var trials = await reopened.LoadTrialsAsync();
        Assert.Equal(Enumerable.Range(0, 6), trials.Select(t => t.Number));
        Assert.Equal(Trial(4).Config.Key, trials[4].Config.Key);
    }

    [Fact]
    public async Task Dispose_releases_the_file()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        using (var store = new SqliteStudyStore(path))
        {
            await store.OpenAsync("s", "fp");
            await store.SaveTrialAsync(Trial(0));
        }

        // No connection is left: SQLite removes the WAL side files when the last one closes.
        Assert.False(File.Exists(path + "-wal"));
        Assert.False(File.Exists(path + "-shm"));
        File.Delete(path);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task The_file_uses_wal_and_records_its_schema_version()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        using (var store = new SqliteStudyStore(path))
            await store.OpenAsync("s", "fp");

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "SELECT version FROM schema_version;";
        Assert.Equal(1L, command.ExecuteScalar());
    }

    [Fact]
    public async Task Calls_before_open_are_refused()
    {
        using var dir = new TempFolder();
        using var store = new SqliteStudyStore(Path.Combine(dir.Path, "study.db"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.LoadTrialsAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.SaveTrialAsync(Trial(0)));
    }

    [Fact]
    public async Task Calls_after_dispose_are_refused()
    {
        using var dir = new TempFolder();
        var store = new SqliteStudyStore(Path.Combine(dir.Path, "study.db"));
        await store.OpenAsync("s", "fp");
        store.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.LoadTrialsAsync());
    }

    [Fact]
    public async Task An_unsupported_parameter_type_is_refused_before_writing()
    {
        using var dir = new TempFolder();
        using var store = new SqliteStudyStore(Path.Combine(dir.Path, "study.db"));
        await store.OpenAsync("s", "fp");
        var trial = Trial(0) with { Config = new TrialConfig("x", new Dictionary<string, object> { ["flag"] = true }) };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => store.SaveTrialAsync(trial));
        Assert.Contains("flag", e.Message);
        Assert.Empty(await store.LoadTrialsAsync());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(200)]
    public void A_file_that_is_not_sqlite_is_refused_with_a_clear_message(int lines)
    {
        using var dir = new TempFolder();
        var path = dir.File("study.db", string.Concat(Enumerable.Repeat("this is a CSV file, not a database\n", lines)));
        var e = Assert.Throws<WorkbenchInputException>(() => new SqliteStudyStore(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not a study store", e.Message);
        // The refused file is left as it was.
        Assert.StartsWith("this is a CSV file", File.ReadAllText(path));
    }

    [Fact]
    public async Task A_damaged_database_is_refused_with_a_clear_message()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        using (var store = new SqliteStudyStore(path))
        {
            await store.OpenAsync("s", "fp");
            for (var n = 0; n < 50; n++)
                await store.SaveTrialAsync(Trial(n));
        }

        // Keep the SQLite header but scribble over every page after the first.
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 4096);
        for (var i = 4096; i < bytes.Length; i++)
            bytes[i] = 0x5A;
        File.WriteAllBytes(path, bytes);

        var e = await Assert.ThrowsAnyAsync<WorkbenchInputException>(async () =>
        {
            using var store = new SqliteStudyStore(path);
            await store.OpenAsync("s", "fp");
            await store.LoadTrialsAsync();
        });
        Assert.Contains(path, e.Message);
    }
}
