using MLWorkbench.AutoML;
using Npgsql;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.AutoML;

[Collection(PostgresCollection.Name)]
public class PostgresStudyStoreTests(PostgresCluster cluster)
{
    private static TrialConfig Config(int i) => new("lightgbm", new Dictionary<string, object> { ["leaves"] = i, ["rate"] = 0.1 * i, ["booster"] = "gbdt" });

    private static StoredTrial Done(TrialLease lease, double score) =>
        new(lease.Number, lease.Config, TrialState.Complete, score, [new Dictionary<string, double> { ["rmse"] = score }], 0.01, null, DateTimeOffset.UtcNow);

    private static async Task<PostgresStudyStore[]> OpenAsync(string connection, int count, PostgresStoreSettings? settings = null, string study = "s")
    {
        var stores = Enumerable.Range(0, count)
            .Select(i => new PostgresStudyStore(connection, (settings ?? new PostgresStoreSettings()) with { Worker = $"test:{i}" })).ToArray();
        foreach (var store in stores) await store.OpenAsync(study, "fp=1");
        return stores;
    }

    [PostgresFact]
    public async Task Concurrent_workers_create_unique_numbers_and_lose_no_trial()
    {
        var stores = await OpenAsync(await cluster.NewDatabaseAsync(), 8);
        try
        {
            // 8 workers x 25 trials, all at once, half created running and half queued.
            var numbers = await Task.WhenAll(stores.Select((store, w) => Task.Run(async () =>
            {
                var mine = new List<int>();
                for (var i = 0; i < 25; i++)
                    mine.Add(i % 2 == 0 ? (await store.CreateTrialAsync(n => Config(n))).Number : await store.EnqueueAsync(Config(1000 + w)));
                return mine;
            })));
            var all = numbers.SelectMany(n => n).Order().ToArray();
            Assert.Equal(Enumerable.Range(0, 200), all);
            var stored = await stores[0].LoadTrialsAsync();
            Assert.Equal(Enumerable.Range(0, 200), stored.Select(t => t.Number));
            Assert.Equal(104, stored.Count(t => t.State == TrialState.Running)); // 13 of each worker's 25
            Assert.All(stored.Where(t => t.State == TrialState.Running), t => Assert.Equal(t.Number, t.Config.Parameters["leaves"]));
        }
        finally
        {
            foreach (var store in stores) store.Dispose();
        }
    }

    [PostgresFact]
    public async Task Concurrent_workers_never_create_more_trials_than_the_limit()
    {
        var stores = await OpenAsync(await cluster.NewDatabaseAsync(), 8);
        try
        {
            await stores[0].EnqueueAsync(Config(0)); // queued work takes numbers under the limit too
            var created = await Task.WhenAll(stores.Select(store => Task.Run(async () =>
            {
                var mine = new List<int>();
                while (await store.CreateTrialBelowAsync(Config, 50) is { } lease) mine.Add(lease.Number);
                return mine;
            })));
            Assert.Equal(Enumerable.Range(1, 49), created.SelectMany(c => c).Order());
            Assert.Equal(Enumerable.Range(0, 50), (await stores[0].LoadTrialsAsync()).Select(t => t.Number));
            Assert.Null(await stores[1].CreateTrialBelowAsync(Config, 50));
            Assert.Equal(50, (await stores[1].CreateTrialAsync(Config)).Number); // without a limit, numbering goes on
        }
        finally
        {
            foreach (var store in stores) store.Dispose();
        }
    }

    [PostgresFact]
    public async Task Each_queued_trial_is_claimed_exactly_once_by_concurrent_workers()
    {
        var stores = await OpenAsync(await cluster.NewDatabaseAsync(), 8);
        try
        {
            for (var i = 0; i < 200; i++) await stores[0].EnqueueAsync(Config(i));
            var claimed = await Task.WhenAll(stores.Select(store => Task.Run(async () =>
            {
                var mine = new List<int>();
                while (await store.ClaimQueuedAsync() is { } lease)
                {
                    Assert.Equal(lease.Number, lease.Config.Parameters["leaves"]);
                    Assert.True(await store.FinishAsync(lease, Done(lease, lease.Number)));
                    mine.Add(lease.Number);
                }
                return mine;
            })));
            Assert.Equal(Enumerable.Range(0, 200), claimed.SelectMany(c => c).Order());
            Assert.True(claimed.Count(c => c.Count > 0) > 1, "more than one worker should have claimed work");
            var stored = await stores[0].LoadTrialsAsync();
            Assert.All(stored, t =>
            {
                Assert.Equal(TrialState.Complete, t.State);
                Assert.Equal(1, t.Attempts);
                Assert.StartsWith("test:", t.Worker);
                Assert.Equal((double)t.Number, t.Score);
            });
        }
        finally
        {
            foreach (var store in stores) store.Dispose();
        }
    }

    [PostgresFact]
    public async Task A_stale_lease_cannot_heartbeat_report_or_finish()
    {
        var settings = new PostgresStoreSettings { GracePeriod = TimeSpan.FromSeconds(1) };
        var stores = await OpenAsync(await cluster.NewDatabaseAsync(), 2, settings);
        using var paused = stores[0];
        using var other = stores[1];
        var lease = await paused.CreateTrialAsync(Config);
        Assert.True(await paused.HeartbeatAsync(lease));
        Assert.True(await paused.ReportAsync(lease, 0, new Dictionary<string, double> { ["rmse"] = 1 }));
        await Task.Delay(2000); // past the grace period on the database clock, and nobody has queued it again yet

        Assert.False(await paused.HeartbeatAsync(lease));
        Assert.False(await paused.ReportAsync(lease, 1, new Dictionary<string, double> { ["rmse"] = 2 }));
        Assert.False(await paused.FinishAsync(lease, Done(lease, 0.5)));

        // Another worker takes it over; the old token stays useless even though the trial is running again.
        var retry = await other.ClaimQueuedAsync();
        Assert.NotNull(retry);
        Assert.Equal(lease.Number, retry.Number);
        Assert.False(await paused.FinishAsync(lease, Done(lease, 0.5)));
        Assert.True(await other.FinishAsync(retry, Done(retry, 0.25)));
        var trial = Assert.Single(await other.LoadTrialsAsync());
        Assert.Equal(0.25, trial.Score);
        Assert.Equal(2, trial.Attempts);
        Assert.Equal("test:1", trial.Worker);
    }

    [PostgresFact]
    public async Task An_expired_heartbeat_is_queued_again_then_failed_after_the_retry_limit()
    {
        var settings = new PostgresStoreSettings { GracePeriod = TimeSpan.FromSeconds(1), MaxAttempts = 2 };
        var stores = await OpenAsync(await cluster.NewDatabaseAsync(), 3, settings);
        try
        {
            var dies = await stores[0].CreateTrialAsync(Config);
            var lives = await stores[0].CreateTrialAsync(Config);
            // Heartbeats 5x per grace period: a machine under load may delay one, not five.
            for (var i = 0; i < 10; i++)
            {
                await Task.Delay(200);
                Assert.True(await stores[0].HeartbeatAsync(lives));
            }

            // Whoever looks first (here a load by another worker) queues the dead trial again and leaves the live one.
            var seen = await stores[1].LoadTrialsAsync();
            Assert.Equal(TrialState.Queued, seen[dies.Number].State);
            Assert.Contains("attempt 1 on test:0 stopped sending heartbeats", seen[dies.Number].Reason);
            Assert.Equal(TrialState.Running, seen[lives.Number].State);

            var second = await stores[1].ClaimQueuedAsync();
            Assert.Equal(dies.Number, second!.Number);
            await Task.Delay(2000);
            // Both are stale now (the live one stopped heartbeating too): one is out of attempts, the other goes back to the queue.
            Assert.Equal(2, await stores[2].RequeueStaleAsync());
            var final = await stores[2].LoadTrialsAsync();
            Assert.Equal(TrialState.Failed, final[dies.Number].State);
            Assert.Equal(2, final[dies.Number].Attempts);
            Assert.Contains("each of its 2 attempts (last: test:1)", final[dies.Number].Reason);
            Assert.Equal(TrialState.Queued, final[lives.Number].State);
            Assert.Equal(lives.Number, (await stores[2].ClaimQueuedAsync())!.Number);
            Assert.Null(await stores[2].ClaimQueuedAsync());
        }
        finally
        {
            foreach (var store in stores) store.Dispose();
        }
    }

    [PostgresFact]
    public async Task A_load_since_a_mark_returns_what_changed_even_when_its_writer_committed_late()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var store = new PostgresStudyStore(connection, new PostgresStoreSettings { GracePeriod = TimeSpan.FromSeconds(3) });
        await store.OpenAsync("s", "fp=1");
        var leases = new List<TrialLease>();
        for (var i = 0; i < 4; i++) leases.Add(await store.CreateTrialAsync(Config));
        var first = await store.LoadChangedTrialsAsync(null);
        Assert.Equal([0, 1, 2, 3], first.Trials.Select(t => t.Number));
        Assert.NotNull(first.Mark);

        // A finish is a change; a heartbeat alone is not.
        Assert.True(await store.FinishAsync(leases[0], Done(leases[0], 0.5)));
        Assert.True(await store.HeartbeatAsync(leases[1]));
        var second = await store.LoadChangedTrialsAsync(first.Mark);
        var changed = Assert.Single(second.Trials);
        Assert.Equal((0, TrialState.Complete), (changed.Number, changed.State));

        // A writer whose transaction began before a load and commits after it: its row is in the next load.
        await using (var slow = new NpgsqlConnection(connection))
        {
            await slow.OpenAsync();
            await using var transaction = await slow.BeginTransactionAsync();
            await using (var write = new NpgsqlCommand("UPDATE mlwb_trials SET score = 7, changed = pg_current_xact_id()::text::bigint WHERE number = 2;", slow, transaction))
                await write.ExecuteNonQueryAsync();
            var during = await store.LoadChangedTrialsAsync(second.Mark);
            Assert.DoesNotContain(during.Trials, x => x.Number == 2 && x.Score == 7);
            await transaction.CommitAsync();
            var after = await store.LoadChangedTrialsAsync(during.Mark);
            Assert.Equal(7, Assert.Single(after.Trials, x => x.Number == 2).Score);
        }

        // Queueing a stale trial again is a change too (the load itself queues it).
        await Task.Delay(3500);
        var settled = await store.LoadChangedTrialsAsync(null);
        Assert.Equal([TrialState.Complete, TrialState.Queued, TrialState.Queued, TrialState.Queued], settled.Trials.Select(x => x.State));
        // The load's own writes may be read once more (a row is read twice, never missed); then nothing changed.
        var again = await store.LoadChangedTrialsAsync(settled.Mark);
        Assert.All(again.Trials, x => Assert.Equal(TrialState.Queued, x.State));
        Assert.Empty((await store.LoadChangedTrialsAsync(again.Mark)).Trials);
    }

    [PostgresFact]
    public async Task A_schema_1_database_is_migrated_and_its_trials_are_kept()
    {
        var connection = await cluster.NewDatabaseAsync();
        using (var store = new PostgresStudyStore(connection))
        {
            await store.OpenAsync("s", "fp=1");
            var lease = await store.CreateTrialAsync(Config);
            Assert.True(await store.FinishAsync(lease, Done(lease, 0.5)));
        }
        // What version 1 looked like: no change marks (version 2), no finalize job (3), no files (4).
        await using (var admin = new NpgsqlConnection(connection))
        {
            await admin.OpenAsync();
            await using var downgrade = new NpgsqlCommand("ALTER TABLE mlwb_trials DROP COLUMN changed; ALTER TABLE mlwb_studies DROP COLUMN finalize_token, DROP COLUMN finalize_heartbeat, " +
                "DROP COLUMN finalize_worker, DROP COLUMN finalize_attempts, DROP COLUMN results_json; " +
                "DROP TABLE mlwb_trial_artifacts, mlwb_study_files, mlwb_blob_chunks, mlwb_blobs; UPDATE mlwb_schema SET version = 1;", admin);
            await downgrade.ExecuteNonQueryAsync();
        }
        using var upgraded = new PostgresStudyStore(connection);
        await upgraded.OpenAsync("s", "fp=1");
        var (trials, mark) = await upgraded.LoadChangedTrialsAsync(null);
        Assert.Equal((0, 0.5), (Assert.Single(trials).Number, trials[0].Score));
        var next = await upgraded.CreateTrialAsync(Config);
        Assert.Equal([next.Number], (await upgraded.LoadChangedTrialsAsync(mark)).Trials.Select(t => t.Number));
        Assert.Equal((null, 1, 0), await upgraded.GetResultsAsync("s")); // the study row has its finalize columns
        await using (var admin = new NpgsqlConnection(connection))
        {
            await admin.OpenAsync();
            await using var version = new NpgsqlCommand("SELECT version FROM mlwb_schema;", admin);
            Assert.Equal(PostgresStudyStore.SchemaVersion, (int)(await version.ExecuteScalarAsync())!);
        }
    }

    [PostgresFact]
    public async Task A_newer_schema_is_refused_with_a_sentence()
    {
        var connection = await cluster.NewDatabaseAsync();
        using (var store = new PostgresStudyStore(connection))
            await store.OpenAsync("s", "fp=1");
        await using (var admin = new NpgsqlConnection(connection))
        {
            await admin.OpenAsync();
            await using var bump = new NpgsqlCommand("UPDATE mlwb_schema SET version = 99;", admin);
            await bump.ExecuteNonQueryAsync();
        }
        using var newer = new PostgresStudyStore(connection);
        var error = await Assert.ThrowsAsync<WorkbenchInputException>(() => newer.OpenAsync("s", "fp=1"));
        Assert.Contains($"schema version 99, newer than the {PostgresStudyStore.SchemaVersion} this MLWorkbench reads", error.Message);
    }

    [PostgresFact]
    public async Task Values_round_trip_and_a_different_fingerprint_is_refused()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var store = new PostgresStudyStore(connection);
        await store.OpenAsync("s", "data=a; seed=1");
        var trial = new StoredTrial(4, new TrialConfig("t", new Dictionary<string, object> { ["d"] = 0.1 + 0.2, ["i"] = -3, ["s"] = "x\"y" }),
            TrialState.Pruned, double.NaN, [new Dictionary<string, double> { ["rmse"] = 1.0 / 3, ["r2"] = double.NegativeInfinity }], 1.5, "pruned",
            new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero)) { Worker = "h:1", Attempts = 1 };
        await store.SaveTrialAsync(trial);
        var loaded = Assert.Single(await store.LoadTrialsAsync());
        Assert.Equal(0.1 + 0.2, loaded.Config.Parameters["d"]);
        Assert.Equal(-3, loaded.Config.Parameters["i"]);
        Assert.Equal("x\"y", loaded.Config.Parameters["s"]);
        Assert.True(double.IsNaN(loaded.Score!.Value));
        Assert.Equal(double.NegativeInfinity, loaded.FoldMetrics[0]["r2"]);
        Assert.Equal(trial.FinishedUtc, loaded.FinishedUtc);
        // A saved number is never handed out again.
        Assert.Equal(5, await store.EnqueueAsync(Config(0)));

        using var other = new PostgresStudyStore(connection);
        var error = await Assert.ThrowsAsync<WorkbenchInputException>(() => other.OpenAsync("s", "data=b; seed=1"));
        Assert.Contains("data was 'a', now 'b'", error.Message);
    }

    [Fact]
    public void Uris_become_connection_strings_and_bad_ones_name_the_storage_without_the_password()
    {
        var text = PostgresStudyStore.ToConnectionString("postgresql://ann:p%40ss@db.example:6543/studies?sslmode=require");
        var built = new NpgsqlConnectionStringBuilder(text);
        Assert.Equal(("db.example", 6543, "ann", "p@ss", "studies", SslMode.Require), (built.Host, built.Port, built.Username, built.Password, built.Database, built.SslMode));
        Assert.True(PostgresStudyStore.IsConnectionString("Host=db;Database=x"));
        Assert.False(PostgresStudyStore.IsConnectionString("runs/study.db"));
        var error = Assert.Throws<WorkbenchInputException>(() => new PostgresStudyStore("Host=db;Password=secret;Nonsense=1"));
        Assert.Contains("Password=***", error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }

    [PostgresFact]
    public async Task An_unreachable_server_is_one_sentence()
    {
        var port = new NpgsqlConnectionStringBuilder(cluster.AdminConnection).Port + 1;
        using var store = new PostgresStudyStore($"Host=127.0.0.1;Port={port};Username=x;Database=y;Timeout=2");
        var error = await Assert.ThrowsAsync<WorkbenchInputException>(() => store.OpenAsync("s", "fp"));
        Assert.StartsWith($"The study store at the PostgreSQL database 'y' on 127.0.0.1:{port} cannot be used", error.Message);
    }

    [PostgresFact]
    public async Task The_finalize_job_waits_for_running_trials_then_exactly_one_store_does_it()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var a = new PostgresStudyStore(connection);
        using var b = new PostgresStudyStore(connection);
        await a.OpenAsync("s", "fp=1");
        await b.OpenAsync("s", "fp=1");
        var running = await a.CreateTrialAsync(Config);
        var jobs = 0;
        var waiting = b.FinalizeAsync(_ => { Interlocked.Increment(ref jobs); return Task.FromResult("""{"by":"b"}"""); }, TimeSpan.FromMilliseconds(50));
        await Task.Delay(500);
        // A trial still runs under a live lease: nobody may finalize the study yet.
        Assert.False(waiting.IsCompleted);
        Assert.Equal((null, 1, 0), await a.GetResultsAsync("s"));
        Assert.True(await a.FinishAsync(running, Done(running, 0.5)));

        Assert.True(await waiting);
        Assert.False(await a.FinalizeAsync(_ => { Interlocked.Increment(ref jobs); return Task.FromResult("a"); }, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(1, jobs);
        Assert.Equal(("""{"by":"b"}""", 0, 0), await a.GetResultsAsync("s"));
        Assert.Null(await a.GetResultsAsync("no such study"));
    }
    [PostgresFact]
    public async Task A_finalizer_past_its_grace_period_loses_the_job_to_another_and_cannot_store_its_results()
    {
        var connection = await cluster.NewDatabaseAsync();
        var shortLease = new PostgresStoreSettings { GracePeriod = TimeSpan.FromSeconds(1) };
        using var slow = new PostgresStudyStore(connection, shortLease);
        using var other = new PostgresStudyStore(connection, shortLease);
        await slow.OpenAsync("s", "fp=1");
        await other.OpenAsync("s", "fp=1");
        var started = new TaskCompletionSource();
        // Heartbeats every 4 s against a 1 s grace period: the slow finalizer's claim runs out, as a paused process's would.
        var stalled = slow.FinalizeAsync(async lost =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, lost);
            return "slow";
        }, TimeSpan.FromSeconds(4));
        await started.Task;
        Assert.True(await other.FinalizeAsync(_ => Task.FromResult("other"), TimeSpan.FromMilliseconds(100)));
        Assert.False(await stalled); // it learnt at its next heartbeat that the claim was gone, and found the job done
        Assert.Equal("other", (await slow.GetResultsAsync("s"))!.Value.Results);
    }
}
