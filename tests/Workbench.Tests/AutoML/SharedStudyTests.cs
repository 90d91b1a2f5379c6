using MLWorkbench.AutoML;
using MLWorkbench.Results;

namespace MLWorkbench.Tests.AutoML;

/// <summary>Several workers (each a <see cref="Study"/> with its own <see cref="PostgresStudyStore"/>) on one study.</summary>
[Collection(PostgresCollection.Name)]
public class SharedStudyTests(PostgresCluster cluster)
{
    /// <summary>A grid of <paramref name="points"/> queued points x = i; a trial waits, then reports loss x once.</summary>
    private sealed class Grid(int points, Func<int, CancellationToken, Task> work) : IObjective
    {
        public string Name => "grid";
        public JointSearchSpace Space { get; } = new([new SearchSpace("toy", [new FloatDomain("x", 0, 1000)], new Dictionary<string, object> { ["x"] = 0.0 })]);
        public IReadOnlyList<TrialConfig> StartingPoints { get; } =
            Enumerable.Range(0, points).Select(i => new TrialConfig("toy", new Dictionary<string, object> { ["x"] = (double)i })).ToArray();
        public string Fingerprint => $"objective=grid; points={points}";
        public double Loss(IReadOnlyDictionary<string, double> metrics) => metrics["loss"];
        public double TieBreak(StoredTrial trial) => 0;
        public int Evaluations;

        public async Task<TrialEvaluation> EvaluateAsync(Trial trial, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Evaluations);
            await work(trial.Number, cancellationToken);
            await trial.ReportAsync(new Dictionary<string, double> { ["loss"] = (double)trial.Config.Parameters["x"] }, cancellationToken);
            return TrialEvaluation.Complete;
        }
    }

    private static StudySettings Settings(int trials) => new() { Name = "grid", MaxTrials = trials, BudgetSeconds = null, HeartbeatInterval = TimeSpan.FromMilliseconds(200) };

    private static async Task QueueAsync(string connection, Grid grid, Study like)
    {
        using var store = new PostgresStudyStore(connection);
        await store.OpenAsync("grid", like.Fingerprint(grid));
        foreach (var point in grid.StartingPoints) await store.EnqueueAsync(point);
    }

    [PostgresFact]
    public async Task Four_workers_complete_every_grid_point_exactly_once_and_each_sees_the_whole_study()
    {
        var connection = await cluster.NewDatabaseAsync();
        const int points = 60;
        // No trial finishes before every worker has opened the study (2 s is ample): a trial finished before a worker
        // starts is rightly "resumed" for that worker, which is not what this test is about.
        var everyoneOpened = Task.Delay(TimeSpan.FromSeconds(2));
        var grids = Enumerable.Range(0, 4).Select(_ => new Grid(points, async (_, ct) => { await everyoneOpened.WaitAsync(ct); await Task.Delay(20, ct); })).ToArray();
        var stores = Enumerable.Range(0, 4).Select(i => new PostgresStudyStore(connection, new PostgresStoreSettings { Worker = $"w{i}" })).ToArray();
        try
        {
            var studies = stores.Select(s => new Study(s, new RandomSampler(), new NopPruner(), Settings(points))).ToArray();
            await QueueAsync(connection, grids[0], studies[0]);
            var runs = await Task.WhenAll(studies.Select((study, i) => Task.Run(() => study.OptimizeAsync(grids[i]))));

            Assert.Equal(points, grids.Sum(g => g.Evaluations)); // nothing ran twice
            Assert.True(grids.Count(g => g.Evaluations > 0) > 1, "the work should be shared");
            var stored = await stores[0].LoadTrialsAsync();
            Assert.Equal(Enumerable.Range(0, points), stored.Select(t => t.Number));
            Assert.All(stored, t =>
            {
                Assert.Equal(TrialState.Complete, t.State);
                Assert.Equal(1, t.Attempts);
                Assert.Equal((double)t.Number, t.Score);
            });
            Assert.All(runs, run =>
            {
                Assert.Equal("trials", run.StopReason);
                Assert.Equal(0, run.Resumed); // other workers' trials are not "resumed from an earlier run"
                Assert.Equal(Enumerable.Range(0, points), run.Trials.Select(t => t.Trial.Number));
            });
        }
        finally
        {
            foreach (var store in stores) store.Dispose();
        }
    }

    /// <summary>
    /// A store whose first new trial of each worker waits until every worker has asked for one, so that they all ask
    /// with the same stale view of the study: the race that makes workers overshoot a trial limit, every time.
    /// </summary>
    private sealed class GatedStore(IStudyStore inner, Gate gate) : IStudyStore
    {
        private bool _passed;
        public string? Location => inner.Location;
        public Task OpenAsync(string name, string fingerprint, CancellationToken cancellationToken = default) => inner.OpenAsync(name, fingerprint, cancellationToken);
        public Task<IReadOnlyList<StoredTrial>> LoadTrialsAsync(CancellationToken cancellationToken = default) => inner.LoadTrialsAsync(cancellationToken);
        public Task<(IReadOnlyList<StoredTrial> Trials, long? Mark)> LoadChangedTrialsAsync(long? since, CancellationToken cancellationToken = default) => inner.LoadChangedTrialsAsync(since, cancellationToken);
        public Task<double> GetSpentSecondsAsync(CancellationToken cancellationToken = default) => inner.GetSpentSecondsAsync(cancellationToken);
        public Task AddSpentSecondsAsync(double seconds, CancellationToken cancellationToken = default) => inner.AddSpentSecondsAsync(seconds, cancellationToken);
        public async Task<TrialLease> CreateTrialAsync(Func<int, TrialConfig> propose, CancellationToken cancellationToken = default)
        {
            await PassAsync();
            return await inner.CreateTrialAsync(propose, cancellationToken);
        }
        public async Task<TrialLease?> CreateTrialBelowAsync(Func<int, TrialConfig> propose, int limit, CancellationToken cancellationToken = default)
        {
            await PassAsync();
            return await inner.CreateTrialBelowAsync(propose, limit, cancellationToken);
        }
        public Task<int> EnqueueAsync(TrialConfig config, CancellationToken cancellationToken = default) => inner.EnqueueAsync(config, cancellationToken);
        public Task<TrialLease?> ClaimQueuedAsync(CancellationToken cancellationToken = default) => inner.ClaimQueuedAsync(cancellationToken);
        public Task<bool> HeartbeatAsync(TrialLease lease, CancellationToken cancellationToken = default) => inner.HeartbeatAsync(lease, cancellationToken);
        public Task<bool> ReportAsync(TrialLease lease, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default) =>
            inner.ReportAsync(lease, step, metrics, cancellationToken);
        public Task<bool> FinishAsync(TrialLease lease, StoredTrial trial, CancellationToken cancellationToken = default) => inner.FinishAsync(lease, trial, cancellationToken);
        public Task SaveTrialAsync(StoredTrial trial, CancellationToken cancellationToken = default) => inner.SaveTrialAsync(trial, cancellationToken);
        public void Dispose() => inner.Dispose();

        private Task PassAsync()
        {
            if (_passed) return Task.CompletedTask;
            _passed = true;
            return gate.PassAsync();
        }
    }

    /// <summary>Opens once <paramref name="workers"/> have arrived.</summary>
    private sealed class Gate(int workers)
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;
        public bool Opened => _open.Task.IsCompleted;

        public Task PassAsync()
        {
            if (Interlocked.Increment(ref _arrived) == workers) _open.TrySetResult();
            return _open.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    [PostgresFact]
    public async Task Eight_workers_asking_for_new_trials_together_run_exactly_the_trial_limit()
    {
        var connection = await cluster.NewDatabaseAsync();
        const int limit = 5;
        // One queued starting point; then all eight workers ask for a new trial at once, with 4 numbers left.
        var grids = Enumerable.Range(0, 8).Select(_ => new Grid(1, (_, ct) => Task.Delay(30, ct))).ToArray();
        var gate = new Gate(8);
        var stores = Enumerable.Range(0, 8)
            .Select(i => new GatedStore(new PostgresStudyStore(connection, new PostgresStoreSettings { Worker = $"w{i}" }), gate)).ToArray();
        try
        {
            var studies = stores.Select(s => new Study(s, new RandomSampler(), new NopPruner(), Settings(limit))).ToArray();
            await QueueAsync(connection, grids[0], studies[0]);
            var runs = await Task.WhenAll(studies.Select((study, i) => Task.Run(() => study.OptimizeAsync(grids[i]))));

            Assert.True(gate.Opened);
            Assert.Equal(limit, grids.Sum(g => g.Evaluations)); // counted by the study alone, 4 more ran
            Assert.Equal(Enumerable.Range(0, limit), (await stores[0].LoadTrialsAsync()).Select(t => t.Number));
            Assert.All(runs, run => Assert.Equal(Enumerable.Range(0, limit), run.Trials.Select(t => t.Trial.Number)));
        }
        finally
        {
            foreach (var store in stores) store.Dispose();
        }
    }

    [PostgresFact]
    public async Task A_trial_whose_worker_stopped_is_run_again_by_another_worker_and_nothing_is_lost()
    {
        var connection = await cluster.NewDatabaseAsync();
        const int points = 6;
        using var started = new SemaphoreSlim(0);
        // Worker A hangs in trial 0 until it is stopped (its heartbeats stop with it, as with kill -9).
        var hanging = new Grid(points, async (number, ct) =>
        {
            started.Release();
            await Task.Delay(Timeout.Infinite, ct);
        });
        var healthy = new Grid(points, (_, ct) => Task.Delay(10, ct));
        var grace = new PostgresStoreSettings { GracePeriod = TimeSpan.FromSeconds(1) };
        using var storeA = new PostgresStudyStore(connection, grace with { Worker = "a" });
        using var storeB = new PostgresStudyStore(connection, grace with { Worker = "b" });
        var studyA = new Study(storeA, new RandomSampler(), new NopPruner(), Settings(points));
        var studyB = new Study(storeB, new RandomSampler(), new NopPruner(), Settings(points));
        await QueueAsync(connection, healthy, studyA);

        using var stopA = new CancellationTokenSource();
        var runA = Task.Run(() => studyA.OptimizeAsync(hanging, cancellationToken: stopA.Token));
        Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(30)));
        await stopA.CancelAsync();
        Assert.Equal("interrupted", (await runA).StopReason);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var runB = await studyB.OptimizeAsync(healthy);
        Assert.Equal("trials", runB.StopReason);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.5), "B waited for A's lease to expire");
        var stored = await storeB.LoadTrialsAsync();
        Assert.All(stored, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal(points, stored.Count);
        var retried = Assert.Single(stored, t => t.Attempts == 2);
        Assert.Equal(("b", 0), (retried.Worker, retried.Number));
        Assert.Equal(points, healthy.Evaluations);
    }

    /// <summary>A store whose heartbeats never arrive while <see cref="Paused"/>, as when the worker's process is stopped (SIGSTOP).</summary>
    private sealed class PausableStore(IStudyStore inner) : IStudyStore
    {
        public volatile bool Paused;
        public string? Location => inner.Location;
        public Task OpenAsync(string name, string fingerprint, CancellationToken cancellationToken = default) => inner.OpenAsync(name, fingerprint, cancellationToken);
        public Task<IReadOnlyList<StoredTrial>> LoadTrialsAsync(CancellationToken cancellationToken = default) => inner.LoadTrialsAsync(cancellationToken);
        public Task<double> GetSpentSecondsAsync(CancellationToken cancellationToken = default) => inner.GetSpentSecondsAsync(cancellationToken);
        public Task AddSpentSecondsAsync(double seconds, CancellationToken cancellationToken = default) => inner.AddSpentSecondsAsync(seconds, cancellationToken);
        public Task<TrialLease> CreateTrialAsync(Func<int, TrialConfig> propose, CancellationToken cancellationToken = default) => inner.CreateTrialAsync(propose, cancellationToken);
        public Task<int> EnqueueAsync(TrialConfig config, CancellationToken cancellationToken = default) => inner.EnqueueAsync(config, cancellationToken);
        public Task<TrialLease?> ClaimQueuedAsync(CancellationToken cancellationToken = default) => inner.ClaimQueuedAsync(cancellationToken);
        public Task<bool> HeartbeatAsync(TrialLease lease, CancellationToken cancellationToken = default) => Paused ? Task.FromResult(true) : inner.HeartbeatAsync(lease, cancellationToken);
        public Task<bool> ReportAsync(TrialLease lease, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default) =>
            inner.ReportAsync(lease, step, metrics, cancellationToken);
        public Task<bool> FinishAsync(TrialLease lease, StoredTrial trial, CancellationToken cancellationToken = default) => inner.FinishAsync(lease, trial, cancellationToken);
        public Task SaveTrialAsync(StoredTrial trial, CancellationToken cancellationToken = default) => inner.SaveTrialAsync(trial, cancellationToken);
        public void Dispose() => inner.Dispose();
    }

    [PostgresFact]
    public async Task A_worker_paused_past_its_lease_cannot_write_its_late_result_and_goes_on()
    {
        var connection = await cluster.NewDatabaseAsync();
        const int points = 4;
        var grace = new PostgresStoreSettings { GracePeriod = TimeSpan.FromSeconds(1) };
        using var storeA = new PausableStore(new PostgresStudyStore(connection, grace with { Worker = "a" }));
        using var storeB = new PostgresStudyStore(connection, grace with { Worker = "b" });
        using var paused = new SemaphoreSlim(0);
        using var takenOver = new SemaphoreSlim(0);
        // A pauses in trial 0 (no heartbeats arrive) until B has run it; then A wakes up and reports its late result.
        var gridA = new Grid(points, async (number, ct) =>
        {
            if (number != 0) return;
            storeA.Paused = true;
            paused.Release();
            await takenOver.WaitAsync(ct);
        });
        var gridB = new Grid(points, (_, ct) => Task.CompletedTask);
        var studyA = new Study(storeA, new RandomSampler(), new NopPruner(), Settings(points));
        var studyB = new Study(storeB, new RandomSampler(), new NopPruner(), Settings(points));
        await QueueAsync(connection, gridA, studyA);

        var runA = Task.Run(() => studyA.OptimizeAsync(gridA));
        Assert.True(await paused.WaitAsync(TimeSpan.FromSeconds(30)));
        var runB = await studyB.OptimizeAsync(gridB); // B finishes 1..3, waits out A's grace period, then runs 0 again
        takenOver.Release();
        var resultA = await runA;

        var stored = await storeB.LoadTrialsAsync();
        Assert.All(stored, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal(("b", 2), (stored[0].Worker, stored[0].Attempts)); // A's late report and finish were refused
        Assert.Equal(points, gridB.Evaluations); // B ran every trial once, trial 0 included
        Assert.Equal("trials", resultA.StopReason);
        Assert.Equal(Enumerable.Range(0, points), resultA.Trials.Select(t => t.Trial.Number));
        Assert.Equal("b", resultA.Trials[0].Trial.Worker);
    }
}

/// <summary><c>mlwb automl --storage</c> and <c>mlwb worker</c> as separate processes on one PostgreSQL study.</summary>
[Collection(PostgresCollection.Name)]
public class WorkerCommandTests(PostgresCluster cluster)
{
    private static System.Diagnostics.Process Start(params string[] args) => StartIn(null, args);

    private static System.Diagnostics.Process StartIn(string? folder, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Repository.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (folder is not null) start.WorkingDirectory = folder;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mlwb.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        return System.Diagnostics.Process.Start(start)!;
    }

    // Waits until the creator has recorded the study (or has exited, or two minutes have passed), so that workers started
    // next find it.
    private static async Task WaitForStudyAsync(string connection, string study, System.Diagnostics.Process creator)
    {
        using var store = new PostgresStudyStore(connection);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await store.GetSpecAsync(study) is null && !creator.HasExited && waited.Elapsed < TimeSpan.FromSeconds(120))
            await Task.Delay(100);
    }

    // The output folder ("out" in its working folder) of the process that finalized: ends[i] ran in folders[i].
    private static string OutputOf((int Code, string Out, string Error)[] ends, (int Code, string Out, string Error) finalizer, params string[] folders) =>
        Path.Combine(folders[Array.IndexOf(ends, finalizer)], "out");

    private static async Task<(int Code, string Out, string Error)> EndAsync(System.Diagnostics.Process process)
    {
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output, await error);
    }

    [PostgresFact]
    public async Task Workers_join_a_study_that_automl_created_and_its_results_name_who_ran_each_trial()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 200);
        var outDir = Path.Combine(dir.Path, "automl");
        using var creator = Start("automl", "--task", "regression", "--train", data, "--label", "y", "--trials", "12", "--folds", "2",
            "--trainers", "sdca,lightgbm", "--tuner", "random", "--storage", connection, "--study", "shared", "--out", outDir);
        await WaitForStudyAsync(connection, "shared", creator);
        using var first = Start("worker", "--storage", connection, "--study", "shared");
        using var second = Start("worker", "--storage", connection, "--study", "shared");
        var ends = await Task.WhenAll(EndAsync(creator), EndAsync(first), EndAsync(second));
        Assert.All(ends, e => Assert.True(e.Code == 0, e.Error));
        // Exactly one process, creator or worker, finalized the study: it refit, wrote the results and the report, and
        // the others said that another one did.
        var finalizer = Assert.Single(ends, e => e.Out.Contains("Results: ", StringComparison.Ordinal));
        Assert.All(ends.Where(e => e != finalizer), e => Assert.Contains("Another process finalized it", e.Out));
        Assert.True(File.Exists(Path.Combine(outDir, "model.mlwb")));
        Assert.True(File.Exists(Path.Combine(outDir, "index.html")));

        var trials = ResultsFile.Read(Path.Combine(outDir, "results.json")).Experiments.Single().Trials;
        Assert.Equal(Enumerable.Range(0, 12), trials.Select(t => t.Number!.Value));
        Assert.All(trials, t =>
        {
            Assert.Matches(@"^.+:\d+$", t.Worker);
            Assert.Equal(1, t.Attempts);
        });
        Assert.Subset(new[] { creator.Id, first.Id, second.Id }.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet(),
            trials.Select(t => t.Worker![(t.Worker!.LastIndexOf(':') + 1)..]).ToHashSet());

        // The database keeps the results: the report renders anywhere, without the output folder.
        var elsewhere = Path.Combine(dir.Path, "elsewhere");
        var (code, output, error) = await MlwbCommand.RunAsync("report", "--storage", connection, "--study", "shared", "--out", elsewhere);
        Assert.True(code == 0, error);
        Assert.Contains("Report: ", output);
        Assert.Equal(File.ReadAllText(Path.Combine(outDir, "results.json")), File.ReadAllText(Path.Combine(elsewhere, "results.json")));
        var rendered = ResultsFile.Read(Path.Combine(elsewhere, "results.json")).Experiments.Single();
        Assert.Equal(Enumerable.Range(0, 12), rendered.Trials.Select(t => t.Number!.Value));
        Assert.Contains(rendered.Best!, File.ReadAllText(Path.Combine(elsewhere, "index.html")), StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Workers_that_share_only_the_database_run_a_study_whose_data_path_does_not_exist_for_them()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(Directory.CreateDirectory(Path.Combine(dir.Path, "creator")).FullName, 200);
        var bytes = File.ReadAllBytes(data);
        var (code, output, error) = await MlwbCommand.RunAsync("automl", "--task", "regression", "--train", data, "--label", "y", "--trials", "10", "--folds", "2",
            "--trainers", "sdca,lightgbm", "--tuner", "random", "--storage", connection, "--study", "remote", "--out", Path.Combine(dir.Path, "creator", "out"), "--create-only");
        Assert.True(code == 0, error);
        Assert.Contains("Study 'remote' created with its data", output);
        // The workers' machines: the creator's folder is not there, each has its own cache and output folder.
        Directory.Delete(Path.Combine(dir.Path, "creator"), recursive: true);
        var machines = Enumerable.Range(0, 2).Select(i => Directory.CreateDirectory(Path.Combine(dir.Path, $"machine{i}")).FullName).ToArray();
        using var first = StartIn(machines[0], "worker", "--storage", connection, "--study", "remote", "--cache", "cache", "--out", "out");
        using var second = StartIn(machines[1], "worker", "--storage", connection, "--study", "remote", "--cache", "cache", "--out", "out");
        var ends = await Task.WhenAll(EndAsync(first), EndAsync(second));
        Assert.All(ends, e => Assert.True(e.Code == 0, e.Error));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "creator")));
        // Each worker read the data from its cache, byte for byte the creator's file.
        Assert.All(machines, m => Assert.Equal(bytes, File.ReadAllBytes(Assert.Single(Directory.GetFiles(Path.Combine(m, "cache"), "*.csv", SearchOption.AllDirectories)))));
        var index = Array.FindIndex(ends, e => e.Out.Contains("Results: ", StringComparison.Ordinal));
        Assert.True(index >= 0, string.Join("\n", ends.Select(e => e.Out + e.Error)));
        var outDir = Path.Combine(machines[index], "out");
        var experiment = ResultsFile.Read(Path.Combine(outDir, "results.json")).Experiments.Single();
        Assert.Equal(Enumerable.Range(0, 10), experiment.Trials.Select(t => t.Number!.Value));
        Assert.Subset(new[] { first.Id, second.Id }.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet(),
            experiment.Trials.Select(t => t.Worker![(t.Worker!.LastIndexOf(':') + 1)..]).ToHashSet());
        Assert.Equal(TrialStatus.Succeeded, experiment.AutoML!.Final!.Status);
        // Every complete trial kept its validation predictions, whichever worker ran it: the finalizer's ensemble reads them.
        await using (var admin = new Npgsql.NpgsqlConnection(connection))
        {
            await admin.OpenAsync();
            await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM mlwb_trial_artifacts WHERE name = 'validation-predictions';", admin);
            Assert.Equal(experiment.Trials.Count(t => t.Status == TrialStatus.Succeeded), Convert.ToInt32(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.NotNull(experiment.AutoML.Ensemble);

        // The final model is in the database too: the report on a third machine writes the same bundle.
        var elsewhere = Path.Combine(dir.Path, "laptop");
        (code, output, error) = await MlwbCommand.RunAsync("report", "--storage", connection, "--study", "remote", "--out", elsewhere);
        Assert.True(code == 0, error);
        Assert.Contains($"Model: {Path.Combine(elsewhere, "model.mlwb")}", output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(outDir, "model.mlwb")), File.ReadAllBytes(Path.Combine(elsewhere, "model.mlwb")));
        var predictions = Path.Combine(dir.Path, "predictions.csv");
        (code, _, error) = await MlwbCommand.RunAsync("predict", Path.Combine(elsewhere, "model.mlwb"), Synthetic.LinearCsv(dir.Path, 20), "--out", predictions);
        Assert.True(code == 0, error);
        Assert.Equal(21, File.ReadAllLines(predictions).Length);
    }

    [PostgresFact]
    public async Task A_suite_on_the_store_is_run_by_two_workers_each_candidate_once_and_reported_once()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var dir = new TempFolder();
        var creatorDir = Directory.CreateDirectory(Path.Combine(dir.Path, "creator")).FullName;
        Synthetic.LinearCsv(creatorDir, 240);
        var suitePath = Path.Combine(creatorDir, "suite.yaml");
        File.WriteAllText(suitePath, """
            name: spread
            seed: 3
            output: out
            experiments:
              - name: lines
                task: regression
                data: linear.csv
                label: y
                candidates: [sdca, lightgbm, fasttree]
              - name: lines-again
                task: regression
                data: linear.csv
                label: y
                candidates: [fastforest, ogd, sdca, lightgbm]
            """);
        // The creator queues the suite and works too; two workers on other machines (folders without the suite or its
        // data) take candidates as they come.
        using var creator = StartIn(creatorDir, "run", suitePath, "--storage", connection, "--study", "spread");
        await WaitForStudyAsync(connection, "spread", creator);
        var machines = Enumerable.Range(0, 2).Select(i => Directory.CreateDirectory(Path.Combine(dir.Path, $"machine{i}")).FullName).ToArray();
        using var first = StartIn(machines[0], "worker", "--storage", connection, "--study", "spread", "--cache", "cache", "--out", "out");
        using var second = StartIn(machines[1], "worker", "--storage", connection, "--study", "spread", "--cache", "cache", "--out", "out");
        var ends = await Task.WhenAll(EndAsync(creator), EndAsync(first), EndAsync(second));
        Assert.All(ends, e => Assert.True(e.Code == 0, e.Out + e.Error));
        var finalizer = Assert.Single(ends, e => e.Out.Contains("Results: ", StringComparison.Ordinal));
        Assert.All(ends.Where(e => e != finalizer), e => Assert.Contains("Another process finalized it", e.Out));
        var outDir = OutputOf(ends, finalizer, creatorDir, machines[0], machines[1]);

        var results = ResultsFile.Read(Path.Combine(outDir, "results.json"));
        Assert.Equal(["lines", "lines-again"], results.Experiments.Select(e => e.Name));
        // Every candidate ran exactly once, in the suite's order, and the report is the one run's.
        Assert.Equal(["sdca", "lightgbm", "fasttree"], results.Experiments[0].Trials.Select(t => t.Candidate));
        Assert.Equal(["fastforest", "ogd", "sdca", "lightgbm"], results.Experiments[1].Trials.Select(t => t.Candidate));
        Assert.All(results.Experiments.SelectMany(e => e.Trials), t => Assert.Equal((TrialStatus.Succeeded, 1), (t.Status, t.Attempts)));
        Assert.Subset(new[] { creator.Id, first.Id, second.Id }.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet(),
            results.Experiments.SelectMany(e => e.Trials).Select(t => t.Worker![(t.Worker!.LastIndexOf(':') + 1)..]).ToHashSet());
        Assert.True(File.Exists(Path.Combine(outDir, "index.html")));
        // Kept before the one-process run below, which writes into the creator's output folder (one of the finalizers).
        var model = File.ReadAllBytes(Path.Combine(outDir, "lines.mlwb"));
        // The same candidates run in one process score the same: a job trains exactly what 'mlwb run' trains.
        var (code, _, error) = await MlwbCommand.RunAsync("run", suitePath);
        Assert.True(code == 0, error);
        var local = ResultsFile.Read(Path.Combine(creatorDir, "out", "results.json"));
        foreach (var (shared, alone) in results.Experiments.Zip(local.Experiments))
        {
            Assert.Equal(alone.Best, shared.Best);
            Assert.Equal(alone.Trials.Select(t => t.Metrics.Validation["rmse"]), shared.Trials.Select(t => t.Metrics.Validation["rmse"]));
        }
        // The models and results are in the database: the report renders on any machine, with each experiment's model.
        var elsewhere = Path.Combine(dir.Path, "laptop");
        string output;
        (code, output, error) = await MlwbCommand.RunAsync("report", "--storage", connection, "--study", "spread", "--out", elsewhere);
        Assert.True(code == 0, error);
        Assert.Equal(model, File.ReadAllBytes(Path.Combine(elsewhere, "lines.mlwb")));
        Assert.Contains($"Model: {Path.Combine(elsewhere, "lines-again.mlwb")}", output);
    }

    [PostgresFact]
    public async Task A_suite_with_an_automl_experiment_runs_its_search_as_a_study_of_its_own_and_reports_once()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var dir = new TempFolder();
        var creatorDir = Directory.CreateDirectory(Path.Combine(dir.Path, "creator")).FullName;
        Synthetic.LinearCsv(creatorDir, 200);
        var suitePath = Path.Combine(creatorDir, "suite.yaml");
        // Two trials of two trainers: their defaults (the portfolio, queued when the suite is queued), so the one-process
        // run below tries the same configurations and selects deterministically.
        File.WriteAllText(suitePath, """
            name: mixed
            seed: 5
            output: out
            experiments:
              - name: compare
                task: regression
                data: linear.csv
                label: y
                candidates: [sdca, fasttree]
              - name: search
                task: regression
                data: linear.csv
                label: y
                candidates: [sdca, lightgbm]
                automl: { trials: 2, folds: 2, tuner: random }
            """);
        using var creator = StartIn(creatorDir, "run", suitePath, "--storage", connection, "--study", "mixed");
        await WaitForStudyAsync(connection, "mixed", creator);
        using (var store = new PostgresStudyStore(connection))
        {
            // The search is a study of its own, created (with its starting points) before the suite's spec.
            Assert.NotNull(await store.GetSpecAsync("mixed/search"));
        }
        var machines = Enumerable.Range(0, 2).Select(i => Directory.CreateDirectory(Path.Combine(dir.Path, $"machine{i}")).FullName).ToArray();
        using var first = StartIn(machines[0], "worker", "--storage", connection, "--study", "mixed", "--cache", "cache", "--out", "out");
        // A worker pointed at the search's study joins the whole suite.
        using var second = StartIn(machines[1], "worker", "--storage", connection, "--study", "mixed/search", "--cache", "cache", "--out", "out");
        var ends = await Task.WhenAll(EndAsync(creator), EndAsync(first), EndAsync(second));
        Assert.All(ends, e => Assert.True(e.Code == 0, e.Out + e.Error));
        Assert.Contains("is an AutoML experiment of the suite study 'mixed'", ends[2].Out);
        var finalizer = Assert.Single(ends, e => e.Out.Contains("Results: ", StringComparison.Ordinal));
        var outDir = OutputOf(ends, finalizer, creatorDir, machines[0], machines[1]);
        var results = ResultsFile.Read(Path.Combine(outDir, "results.json"));
        Assert.Equal(["compare", "search"], results.Experiments.Select(e => e.Name));
        Assert.Equal(["sdca", "fasttree"], results.Experiments[0].Trials.Select(t => t.Candidate));
        var search = results.Experiments[1];
        // Every trial of the search ran once, and only the trial limit's worth.
        Assert.Equal(2, search.Trials.Count);
        Assert.All(search.Trials, t => Assert.Equal(1, t.Attempts));
        Assert.All(results.Experiments[0].Trials, t => Assert.Equal((TrialStatus.Succeeded, 1), (t.Status, t.Attempts)));
        Assert.Equal(Path.Combine(outDir, "search.mlwb"), search.AutoML!.ModelPath);
        Assert.True(File.Exists(Path.Combine(outDir, "search.mlwb")));
        Assert.True(File.Exists(Path.Combine(outDir, "compare.mlwb")));
        Assert.True(File.Exists(Path.Combine(outDir, "index.html")));

        // One process runs the same suite to the same selection: the comparison's and the search's.
        var (code, _, error) = await MlwbCommand.RunAsync("run", suitePath);
        Assert.True(code == 0, error);
        var local = ResultsFile.Read(Path.Combine(creatorDir, "out", "results.json"));
        Assert.Equal(local.Experiments.Select(e => e.Best), results.Experiments.Select(e => e.Best));
        Assert.Equal(local.Experiments[1].Trials.Select(t => t.Candidate).Order(), search.Trials.Select(t => t.Candidate).Order());
        Assert.Equal(local.Experiments[1].Trials.Select(t => t.Metrics.Validation["rmse"]).Order(), search.Trials.Select(t => t.Metrics.Validation["rmse"]).Order());
        Assert.Equal(local.Experiments[1].AutoML!.Final!.Metrics.Test["rmse"], search.AutoML.Final!.Metrics.Test["rmse"], 9);
    }

    [PostgresFact]
    public async Task A_shared_suite_without_a_database_is_refused_in_one_sentence_and_a_dry_run_queues_nothing()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var dir = new TempFolder();
        Synthetic.LinearCsv(dir.Path, 100);
        var suitePath = dir.File("suite.yaml", """
            name: mixed
            experiments:
              - name: search
                task: regression
                data: linear.csv
                label: y
                automl: { trials: 3 }
            """);
        var (code, _, error) = await MlwbCommand.RunAsync("run", suitePath, "--storage", "runs/study.db");
        Assert.Equal(2, code);
        Assert.Contains("is not a PostgreSQL connection string or postgresql:// URI; a suite runs in one process without it.", error);
        // --dry-run checks and prints the plan; nothing is queued.
        string output;
        (code, output, error) = await MlwbCommand.RunAsync("run", suitePath, "--storage", connection, "--dry-run");
        Assert.True(code == 0, error);
        Assert.Contains("Suite 'mixed' is valid", output);
        using (var store = new PostgresStudyStore(connection))
            Assert.Null(await store.GetSpecAsync("mixed"));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "reports")));
    }

    [PostgresFact]
    public async Task Report_from_the_store_says_in_one_sentence_when_the_study_is_missing_or_not_finished()
    {
        var connection = await cluster.NewDatabaseAsync();
        var (code, _, error) = await MlwbCommand.RunAsync("report", "--storage", connection, "--study", "nope");
        Assert.Equal(2, code);
        Assert.Contains("There is no study 'nope' in that store.", error);

        using (var store = new PostgresStudyStore(connection))
        {
            await store.OpenAsync("busy", "objective=x");
            await store.EnqueueAsync(new TrialConfig("toy", new Dictionary<string, object> { ["x"] = 1.0 }));
            await store.EnqueueAsync(new TrialConfig("toy", new Dictionary<string, object> { ["x"] = 2.0 }));
            Assert.NotNull(await store.ClaimQueuedAsync());
        }
        (code, _, error) = await MlwbCommand.RunAsync("report", "--storage", connection, "--study", "busy");
        Assert.Equal(2, code);
        Assert.Contains("The study 'busy' is not finished yet: 1 trials are running and 1 are queued", error);
        using (var store = new PostgresStudyStore(connection))
        {
            await store.OpenAsync("left", "objective=x");
            await store.EnqueueAsync(new TrialConfig("toy", new Dictionary<string, object> { ["x"] = 1.0 }));
        }
        (code, _, error) = await MlwbCommand.RunAsync("report", "--storage", connection, "--study", "left");
        Assert.Equal(2, code);
        Assert.Contains("no trial is running (1 are queued) and no process has finalized it; 'mlwb worker --storage CONN --study left'", error);
        (code, _, error) = await MlwbCommand.RunAsync("report", "--storage", "runs/study.db", "--study", "busy");
        Assert.Equal(2, code);
        Assert.Contains("is not a PostgreSQL connection string", error);
    }

    [PostgresFact]
    public async Task A_worker_for_a_missing_study_or_a_sqlite_file_exits_2_with_a_sentence()
    {
        var connection = await cluster.NewDatabaseAsync();
        var (code, _, error) = await MlwbCommand.RunAsync("worker", "--storage", connection, "--study", "nope");
        Assert.Equal(2, code);
        Assert.Contains("There is no study 'nope' to join in that store: start it with 'mlwb automl ... --storage CONN --study nope' first.", error);
        (code, _, error) = await MlwbCommand.RunAsync("worker", "--storage", "runs/study.db", "--study", "nope");
        Assert.Equal(2, code);
        Assert.Contains("is not a PostgreSQL connection string", error);
        // A study created for workers only lives in a shared store.
        using var dir = new TempFolder();
        (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "regression", "--train", Synthetic.LinearCsv(dir.Path, 50), "--label", "y", "--trials", "2",
            "--out", Path.Combine(dir.Path, "out"), "--create-only");
        Assert.Equal(2, code);
        Assert.Contains("--create-only records a study in a PostgreSQL store for workers: give --storage a connection string or postgresql:// URI.", error);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "out")));
    }
}
