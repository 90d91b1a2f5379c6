using Microsoft.Data.Sqlite;
using MLWorkbench.AutoML;
using MLWorkbench.Tasks;

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
    public async Task A_second_store_on_the_same_file_is_refused_at_once_naming_the_holder()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        using (var first = new SqliteStudyStore(path))
        {
            await first.OpenAsync("s", "fp");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var e = Assert.Throws<WorkbenchInputException>(() => new SqliteStudyStore(path));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refused after {clock.Elapsed}");
            Assert.Contains(path, e.Message);
            Assert.Contains($"process {Environment.ProcessId} on host '{Environment.MachineName}'", e.Message);
            // The refused store changed nothing: the holder goes on writing.
            await first.SaveTrialAsync(Trial(0));
        }

        // Once the holder is gone, the file opens again.
        using var next = new SqliteStudyStore(path);
        await next.OpenAsync("s", "fp");
        Assert.Equal([0], (await next.LoadTrialsAsync()).Select(t => t.Number));
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
    public async Task A_saved_trial_survives_a_run_that_never_closed()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        var crashed = Path.Combine(dir.Path, "crashed.db");
        using (var running = new SqliteStudyStore(path))
        {
            await running.OpenAsync("s", "fp");
            for (var n = 0; n < 5; n++)
                await running.SaveTrialAsync(Trial(n));
            // What a killed process leaves on disk: the database and its write-ahead log, as they are now.
            File.Copy(path, crashed);
            File.Copy(path + "-wal", crashed + "-wal");
        }

        using var reopened = new SqliteStudyStore(crashed);
        await reopened.OpenAsync("s", "fp");
        var trials = await reopened.LoadTrialsAsync();
        Assert.Equal(Enumerable.Range(0, 5), trials.Select(t => t.Number));
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
        Assert.Equal(3L, command.ExecuteScalar());
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

    private static TrialConfig Config(string trainer, double rate) => new(trainer, new Dictionary<string, object> { ["learning_rate"] = rate });

    private static StoredTrial Done(TrialLease lease, double score) =>
        new(lease.Number, lease.Config, TrialState.Complete, score, [new Dictionary<string, double> { ["rmse"] = score }], 1, null, Finished);

    [Fact]
    public async Task A_trial_is_created_running_under_a_unique_number_and_finished_only_under_its_token()
    {
        using var dir = new TempFolder();
        using var store = new SqliteStudyStore(Path.Combine(dir.Path, "study.db"));
        await store.OpenAsync("s", "fp");
        var proposedFor = new List<int>();
        var first = await store.CreateTrialAsync(n => { proposedFor.Add(n); return Config("sdca", n); });
        var second = await store.CreateTrialAsync(n => { proposedFor.Add(n); return Config("sdca", n); });
        Assert.Equal([0, 1], proposedFor);
        Assert.Equal((0, 1), (first.Number, second.Number));
        Assert.NotEqual(first.Token, second.Token);

        // Samplers see running trials, with their configuration.
        var running = await store.LoadTrialsAsync();
        Assert.All(running, t => Assert.Equal(TrialState.Running, t.State));
        Assert.Equal(1.0, running[1].Config.Parameters["learning_rate"]);

        // A stale token (another worker's, or a lease taken over) writes nothing.
        var stale = first with { Token = "not-the-token" };
        Assert.False(await store.ReportAsync(stale, 0, new Dictionary<string, double> { ["rmse"] = 9 }));
        Assert.False(await store.FinishAsync(stale, Done(first, 9)));
        Assert.Equal(TrialState.Running, (await store.LoadTrialsAsync())[0].State);

        Assert.True(await store.ReportAsync(first, 0, new Dictionary<string, double> { ["rmse"] = 0.5 }));
        Assert.Equal(0.5, Assert.Single((await store.LoadTrialsAsync())[0].FoldMetrics)["rmse"]);
        Assert.True(await store.FinishAsync(first, Done(first, 0.25)));
        var done = (await store.LoadTrialsAsync())[0];
        Assert.Equal((TrialState.Complete, 0.25, (DateTimeOffset?)null), (done.State, done.Score, done.HeartbeatUtc));

        // Finished means finished: the same token cannot overwrite it, nor can an import.
        Assert.False(await store.FinishAsync(first, Done(first, 0.1)));
        Assert.Equal(0.25, (await store.LoadTrialsAsync())[0].Score);
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.SaveTrialAsync(Done(second, 0.1)));
    }

    [Fact]
    public async Task A_heartbeat_moves_the_running_trials_clock_only_under_its_token()
    {
        using var dir = new TempFolder();
        using var store = new SqliteStudyStore(Path.Combine(dir.Path, "study.db"));
        await store.OpenAsync("s", "fp");
        var lease = await store.CreateTrialAsync(n => Config("sdca", n));
        var created = (await store.LoadTrialsAsync())[0].HeartbeatUtc!.Value;
        await Task.Delay(50);
        Assert.True(await store.HeartbeatAsync(lease));
        var beat = (await store.LoadTrialsAsync())[0].HeartbeatUtc!.Value;
        Assert.True(beat > created, $"{beat:O} is not after {created:O}");
        Assert.False(await store.HeartbeatAsync(lease with { Token = "stale" }));
        Assert.Equal(beat, (await store.LoadTrialsAsync())[0].HeartbeatUtc);
    }

    [Fact]
    public async Task Queued_trials_are_claimed_in_number_order_once_each()
    {
        using var dir = new TempFolder();
        using var store = new SqliteStudyStore(Path.Combine(dir.Path, "study.db"));
        await store.OpenAsync("s", "fp");
        Assert.Null(await store.ClaimQueuedAsync());
        Assert.Equal(0, await store.EnqueueAsync(Config("sdca", 0.5)));
        Assert.Equal(1, await store.EnqueueAsync(Config("lightgbm", 0.1)));
        var created = await store.CreateTrialAsync(n => Config("fasttree", n));
        Assert.Equal(2, created.Number);
        Assert.Equal([TrialState.Queued, TrialState.Queued, TrialState.Running], (await store.LoadTrialsAsync()).Select(t => t.State));

        var a = await store.ClaimQueuedAsync();
        var b = await store.ClaimQueuedAsync();
        Assert.Equal((0, "sdca"), (a!.Number, a.Config.Trainer));
        Assert.Equal((1, "lightgbm"), (b!.Number, b.Config.Trainer));
        Assert.Null(await store.ClaimQueuedAsync());
        Assert.True(await store.FinishAsync(b, Done(b, 0.3)));
    }

    [Fact]
    public async Task Trials_a_stopped_process_left_running_are_queued_again_with_their_numbers()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        TrialLease orphan;
        using (var stopped = new SqliteStudyStore(path))
        {
            await stopped.OpenAsync("s", "fp");
            var done = await stopped.CreateTrialAsync(n => Config("sdca", n));
            await stopped.FinishAsync(done, Done(done, 0.4));
            orphan = await stopped.CreateTrialAsync(n => Config("lightgbm", n));
            await stopped.ReportAsync(orphan, 0, new Dictionary<string, double> { ["rmse"] = 1 });
        }

        using var store = new SqliteStudyStore(path);
        await store.OpenAsync("s", "fp");
        var trials = await store.LoadTrialsAsync();
        Assert.Equal([TrialState.Complete, TrialState.Queued], trials.Select(t => t.State));
        Assert.Empty(trials[1].FoldMetrics);
        var again = await store.ClaimQueuedAsync();
        Assert.Equal((1, "lightgbm"), (again!.Number, again.Config.Trainer));
        // The old lease died with its process.
        Assert.False(await store.FinishAsync(orphan, Done(orphan, 0.1)));
        Assert.True(await store.FinishAsync(again, Done(again, 0.2)));
    }

    [Fact]
    public async Task A_changed_setting_is_named_when_a_study_is_refused()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        using (var store = new SqliteStudyStore(path))
            await store.OpenAsync("automl", "data=abc; folds=5; sampler=tpe; pruner=median; seed=1");
        using var again = new SqliteStudyStore(path);
        var e = await Assert.ThrowsAsync<WorkbenchInputException>(() => again.OpenAsync("automl", "data=abc; folds=5; sampler=tpe; pruner=none; seed=1"));
        Assert.Contains("pruner was 'median', now 'none'", e.Message);
        Assert.DoesNotContain("folds", e.Message);
    }

    [Fact]
    public async Task A_study_file_of_schema_1_still_loads_and_its_old_fingerprint_is_refused_by_schema()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        // The file as MLWorkbench wrote it before leases (schema 1), with one finished trial.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText =
                "PRAGMA journal_mode = WAL;" +
                "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);" +
                "CREATE TABLE studies (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, fingerprint TEXT NOT NULL, created_utc TEXT NOT NULL);" +
                "CREATE TABLE trials (study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE, number INTEGER NOT NULL, trainer TEXT NOT NULL," +
                " parameters_json TEXT NOT NULL, state TEXT NOT NULL, score TEXT NULL, fold_metrics_json TEXT NOT NULL, seconds TEXT NOT NULL," +
                " reason TEXT NULL, finished_utc TEXT NOT NULL, PRIMARY KEY (study_id, number));" +
                "INSERT INTO studies (name, fingerprint, created_utc) VALUES ('automl', 'c0ffee', '2026-01-01T00:00:00.0000000+00:00');" +
                "INSERT INTO trials VALUES (1, 0, 'sdca', '{\"l1\":{\"double\":\"0.5\"}}', 'Complete', '0.25', '[{\"rmse\":\"0.25\"}]', '1.5', NULL, '2026-01-01T00:00:01.0000000+00:00');";
            command.ExecuteNonQuery();
        }

        using (var store = new SqliteStudyStore(path))
        {
            await store.OpenAsync("automl", "c0ffee");
            var trial = Assert.Single(await store.LoadTrialsAsync());
            Assert.Equal((TrialState.Complete, 0.25, 0.5), (trial.State, trial.Score, (double)trial.Config.Parameters["l1"]));
        }

        using var again = new SqliteStudyStore(path);
        var e = await Assert.ThrowsAsync<WorkbenchInputException>(() => again.OpenAsync("automl", "data=abc; pruner=median"));
        Assert.Contains("study schema 1", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public async Task A_store_in_memory_keeps_the_whole_life_of_a_trial_and_no_file()
    {
        using var store = SqliteStudyStore.InMemory();
        Assert.Null(store.Location);
        await store.OpenAsync("s", "fp");
        await store.EnqueueAsync(Config("sdca", 1));
        var lease = await store.ClaimQueuedAsync();
        Assert.True(await store.FinishAsync(lease!, Done(lease!, 0.5)));
        Assert.Equal(0.5, Assert.Single(await store.LoadTrialsAsync()).Score);
    }
}
