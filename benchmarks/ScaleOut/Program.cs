// Issue 17 benchmark (see run.sh): the PostgreSQL study store under concurrent workers, on loopback.
//   scaleout-benchmark CONNECTION [--sections claims,tasks,processes] [--claims N] [--trials N] [--trial-ms N] [--workers 1,2,4,8]
//                     [--processes 1,2,4,8,16] [--process-trials N] [--process-trial-ms MIN:MAX]
//                     [--simulate 100,300,1000] [--pool N] [--sim-trial-ms N] [--sim-seconds N]
// 1. claims + completes per second with 1 and 8 workers (each worker its own store, i.e. its own connection pool), on a
//    fresh study and again on a study that already holds 20,000 finished trials (the partial index keeps claims flat);
// 2. a study of short synthetic trials (a trial sleeps --trial-ms, so the 2 cores do not limit it) run by 1..N workers,
//    each a Study with its own store: trials per second, speed-up, duplicates (a number evaluated twice) and lost trials;
// 3. the same with every worker a separate process (tests/StudyWorker, started and connected before the clock starts),
//    trials of 50-200 ms, with the load average beside each row (the machine is shared);
// 5. (--sections search) a real small search (mlwb automl --create-only, then 1, 2, 4 'mlwb worker' processes): trials per
//    second over the search's span, the best CV score, trials run twice and lost trials;
// 6. (--sections recovery) kill -9 of a worker in the middle of a trial: seconds until another worker claims it again;
// 4. (--sections simulate) many simulated workers: tasks in this process sharing one pool of --pool connections (as
//    PgBouncer would multiplex them), each doing what a worker does per trial: create, a heartbeat, a report, the
//    finish and a reload of what changed, for --sim-seconds; trials per second done against those asked for.
using System.Diagnostics;
using System.Globalization;
using MLWorkbench.AutoML;
using Npgsql;

var connection = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0]
    : throw new ArgumentException("Give the PostgreSQL connection string first.");
int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
var claims = Option("--claims", 2000);
var trials = Option("--trials", 120);
var trialMs = Option("--trial-ms", 50);
int[] Counts(string name, int[] fallback) => Array.IndexOf(args, name) is var i and >= 0 ? args[i + 1].Split(',').Select(int.Parse).ToArray() : fallback;
var workerCounts = Counts("--workers", [1, 2, 4, 8]);
var processCounts = Counts("--processes", [1, 2, 4, 8, 16]);
var processTrials = Option("--process-trials", 300);
var processTrialMs = (Array.IndexOf(args, "--process-trial-ms") is var pm and >= 0 ? args[pm + 1] : "50:200").Split(':').Select(int.Parse).ToArray();
var sections = (Array.IndexOf(args, "--sections") is var sc and >= 0 ? args[sc + 1] : "claims,tasks,processes").Split(',');
var simulated = Counts("--simulate", [100, 300, 1000]);
var pool = Option("--pool", 40);
var simTrialMs = Option("--sim-trial-ms", 2000);
var simSeconds = Option("--sim-seconds", 20);

static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
Console.WriteLine($"# scale-out benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load average {Load()}");

var run = Guid.NewGuid().ToString("N")[..6];
var config = new TrialConfig("toy", new Dictionary<string, object> { ["x"] = 0.5 });

async Task<double> ClaimsPerSecondAsync(string study, int workers, int count, int finishedBefore)
{
    using (var creator = new PostgresStudyStore(connection))
    {
        await creator.OpenAsync(study, "bench=claims");
        if (finishedBefore > 0) await FillFinishedAsync(study, finishedBefore);
        for (var i = 0; i < count; i++) await creator.EnqueueAsync(config);
    }
    var stores = Enumerable.Range(0, workers).Select(i => new PostgresStudyStore(connection, new PostgresStoreSettings { Worker = $"bench:{i}" })).ToArray();
    foreach (var store in stores) await store.OpenAsync(study, "bench=claims");
    var clock = Stopwatch.StartNew();
    var done = await Task.WhenAll(stores.Select(store => Task.Run(async () =>
    {
        var n = 0;
        while (await store.ClaimQueuedAsync() is { } lease)
        {
            var finished = new StoredTrial(lease.Number, lease.Config, TrialState.Complete, 1, [new Dictionary<string, double> { ["loss"] = 1 }], 0, null, DateTimeOffset.UtcNow);
            if (!await store.FinishAsync(lease, finished)) throw new InvalidOperationException($"lost the lease of {lease.Number}");
            n++;
        }
        return n;
    })));
    var seconds = clock.Elapsed.TotalSeconds;
    foreach (var store in stores) store.Dispose();
    if (done.Sum() != count) throw new InvalidOperationException($"claimed {done.Sum()} of {count}");
    return count / seconds;
}

// Finished rows written in one statement: the claim must not slow down as they pile up.
async Task FillFinishedAsync(string study, int rows)
{
    await using var db = new NpgsqlConnection(PostgresStudyStore.ToConnectionString(connection));
    await db.OpenAsync();
    await using var fill = new NpgsqlCommand(
        "WITH s AS (SELECT id FROM mlwb_studies WHERE name = $1) " +
        "INSERT INTO mlwb_trials (study_id, number, trainer, parameters_json, state, score, fold_metrics_json, seconds, worker, attempts) " +
        "SELECT s.id, g, 'toy', '{}', 'Complete', 1, '[]', 0, 'fill', 1 FROM s, generate_series(0, $2 - 1) g;", db);
    fill.Parameters.Add(new NpgsqlParameter { Value = study });
    fill.Parameters.Add(new NpgsqlParameter { Value = rows });
    await fill.ExecuteNonQueryAsync();
    await using var counter = new NpgsqlCommand("UPDATE mlwb_studies SET next_number = $2 WHERE name = $1; ", db);
    counter.Parameters.Add(new NpgsqlParameter { Value = study });
    counter.Parameters.Add(new NpgsqlParameter { Value = rows });
    await counter.ExecuteNonQueryAsync();
    await using var analyze = new NpgsqlCommand("ANALYZE mlwb_trials;", db);
    await analyze.ExecuteNonQueryAsync();
}

if (sections.Contains("claims"))
{
Console.WriteLine();
Console.WriteLine($"## claims + completes per second ({claims} queued trials, each worker its own store)");
Console.WriteLine("| workers | finished rows before | pairs/s |");
Console.WriteLine("|---|---|---|");
foreach (var (workers, before) in new[] { (1, 0), (8, 0), (1, 20_000), (8, 20_000) })
{
    var rate = await ClaimsPerSecondAsync($"claims-{run}-{workers}-{before}", workers, claims, before);
    Console.WriteLine($"| {workers} | {before:N0} | {rate:F0} |");
}
}

if (sections.Contains("tasks"))
{
Console.WriteLine();
Console.WriteLine($"## a study of {trials} trials of {trialMs} ms (random sampler, one step each), load average before: {Load()}");
Console.WriteLine("| workers | wall s | trials/s | speed-up | ideal | duplicates | lost |");
Console.WriteLine("|---|---|---|---|---|---|---|");
double? single = null;
foreach (var workers in workerCounts)
{
    var study = $"study-{run}-{workers}";
    var objective = new SleepObjective(TimeSpan.FromMilliseconds(trialMs));
    var stores = Enumerable.Range(0, workers).Select(i => new PostgresStudyStore(connection, new PostgresStoreSettings { Worker = $"bench:{i}" })).ToArray();
    var settings = new StudySettings { Name = study, MaxTrials = trials, BudgetSeconds = null, HeartbeatInterval = TimeSpan.FromSeconds(2) };
    // The first worker opens the study and queues its starting point before the others join, as mlwb worker waits for.
    var first = new Study(stores[0], Samplers.Random(), Pruners.None(), settings);
    await stores[0].OpenAsync(study, first.Fingerprint(objective));
    await stores[0].EnqueueAsync(objective.StartingPoints[0]);
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(stores.Select(store => Task.Run(() => new Study(store, Samplers.Random(), Pruners.None(), settings).OptimizeAsync(objective))));
    var seconds = clock.Elapsed.TotalSeconds;
    var stored = await stores[0].LoadTrialsAsync();
    foreach (var store in stores) store.Dispose();
    var counted = stored.Count(t => t.Number < trials && t.State == TrialState.Complete);
    var duplicates = objective.Evaluations.GroupBy(n => n).Count(g => g.Count() > 1);
    var lost = trials - counted;
    var rate = stored.Count(t => t.IsFinished) / seconds;
    single ??= rate;
    Console.WriteLine($"| {workers} | {seconds:F2} | {rate:F1} | {rate / single:F2}x | {workers}x | {duplicates} | {lost} |");
}
}

if (sections.Contains("processes"))
{
    Console.WriteLine();
    Console.WriteLine($"## a study of {processTrials} trials of {processTrialMs[0]}-{processTrialMs[1]} ms, every worker a process (random sampler, one step each)");
    Console.WriteLine("| worker processes | wall s | trials/s | speed-up | ideal | duplicates | lost | load average (1 min) before → after |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|");
    double? first = null;
    foreach (var count in processCounts)
    {
        var result = await WorkerProcesses.RunAsync(connection, $"proc-{run}-{count}", count, processTrials, processTrialMs[0], processTrialMs[1]);
        first ??= result.Rate;
        Console.WriteLine($"| {count} | {result.Seconds:F2} | {result.Rate:F1} | {result.Rate / first:F2}x | {count}x | {result.Duplicates} | {result.Lost} | {result.LoadBefore} → {result.LoadAfter} |");
    }
}
if (sections.Contains("search"))
{
    var searchTrials = Option("--search-trials", 40);
    var data = Path.GetFullPath(Array.IndexOf(args, "--search-data") is var sd and >= 0 ? args[sd + 1] : "datasets/diabetes/diabetes.csv");
    var label = Array.IndexOf(args, "--search-label") is var sl and >= 0 ? args[sl + 1] : "progression";
    const string trainers = "sdca,lightgbm,fasttree,fastforest";
    Console.WriteLine();
    Console.WriteLine($"## a real search: mlwb automl --create-only on {Path.GetFileName(data)} ({trainers}, TPE, 5-fold CV, {searchTrials} trials), then N 'mlwb worker' processes");
    Console.WriteLine("| worker processes | wall s (start-up, search, finalize) | search s | trials/s | speed-up | best CV score | trials run twice | lost | load average (1 min) before → after |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
    double? single = null;
    foreach (var count in Counts("--search-workers", [1, 2, 4]))
    {
        var r = await RealSearch.RunAsync(connection, $"search-{run}-{count}", count, searchTrials, data, label, trainers);
        var rate = r.Finished / r.SearchSeconds;
        single ??= rate;
        Console.WriteLine($"| {count} | {r.WallSeconds:F1} | {r.SearchSeconds:F1} | {rate:F2} | {rate / single:F2}x | {r.Metric} {r.Score:0.###} | {r.Retried} | {r.Lost} | {r.LoadBefore} → {r.LoadAfter} |");
    }
}
if (sections.Contains("recovery"))
{
    var grace = Option("--grace-ms", 3000);
    var heartbeat = Option("--recovery-heartbeat-ms", 500);
    var sleep = Option("--recovery-trial-ms", 2000);
    Console.WriteLine();
    Console.WriteLine($"## recovery after kill -9: 2 worker processes, trials of {sleep} ms, grace period {grace} ms, heartbeats every {heartbeat} ms");
    Console.WriteLine("| run | killed trial | claimed again after s | grace s | duplicates | lost | points |");
    Console.WriteLine("|---|---|---|---|---|---|---|");
    for (var i = 0; i < Option("--recovery-runs", 3); i++)
    {
        var r = await Recovery.RunAsync(connection, $"recovery-{run}-{i}", grace, heartbeat, sleep, 8);
        Console.WriteLine($"| {i + 1} | {r.Killed} | {r.Seconds:F2} | {grace / 1000.0:F1} | {r.Duplicates} | {r.Lost} | {r.Points} |");
    }
}
if (sections.Contains("simulate")) await Simulation.RunAsync(connection, run, simulated, pool, simTrialMs, simSeconds);
Console.WriteLine();
Console.WriteLine($"load average after: {Load()}");

/// <summary>Many simulated workers sharing one connection pool.</summary>
internal static class Simulation
{
    public static async Task RunAsync(string connection, string run, int[] counts, int pool, int trialMs, int seconds)
    {
        Console.WriteLine();
        Console.WriteLine($"## simulated workers: tasks sharing one pool of {pool} connections, trials of {trialMs} ms, {seconds} s each");
        Console.WriteLine("| workers | trials/s asked | trials/s done | create p50 / p95 ms | finish p95 ms | reload p95 ms | rows per reload | server connections | load average (1 min) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var config = new TrialConfig("toy", new Dictionary<string, object> { ["x"] = 0.5 });
        foreach (var count in counts)
        {
            var builder = new NpgsqlConnectionStringBuilder(PostgresStudyStore.ToConnectionString(connection)) { MaxPoolSize = pool, Timeout = 60, CommandTimeout = 120 };
            using var store = new PostgresStudyStore(builder.ConnectionString, new PostgresStoreSettings { GracePeriod = TimeSpan.FromMinutes(10), Worker = "sim" });
            await store.OpenAsync($"sim-{run}-{count}", "bench=simulate");
            var (create, finish, reload) = (new System.Collections.Concurrent.ConcurrentBag<double>(), new System.Collections.Concurrent.ConcurrentBag<double>(),
                new System.Collections.Concurrent.ConcurrentBag<double>());
            var rows = new System.Collections.Concurrent.ConcurrentBag<int>();
            var done = 0;
            var connections = 0L;
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            var clock = Stopwatch.StartNew();
            var workers = Enumerable.Range(0, count).Select(w => Task.Run(async () =>
            {
                long? mark = null;
                var random = new Random(w);
                // Workers start spread over one trial, as real ones would drift apart.
                await Task.Delay(random.Next(trialMs));
                while (!stop.IsCancellationRequested)
                {
                    var t = Stopwatch.StartNew();
                    var lease = await store.CreateTrialAsync(_ => config);
                    create.Add(t.Elapsed.TotalMilliseconds);
                    await Task.Delay(trialMs / 2);
                    await store.HeartbeatAsync(lease);
                    await Task.Delay(trialMs / 2);
                    await store.ReportAsync(lease, 0, new Dictionary<string, double> { ["loss"] = 1 });
                    t.Restart();
                    var trial = new StoredTrial(lease.Number, lease.Config, TrialState.Complete, 1, [new Dictionary<string, double> { ["loss"] = 1 }], trialMs / 1000.0, null, DateTimeOffset.UtcNow);
                    if (!await store.FinishAsync(lease, trial)) throw new InvalidOperationException($"lost the lease of {lease.Number}");
                    finish.Add(t.Elapsed.TotalMilliseconds);
                    Interlocked.Increment(ref done);
                    t.Restart();
                    var changes = await store.LoadChangedTrialsAsync(mark);
                    reload.Add(t.Elapsed.TotalMilliseconds);
                    rows.Add(changes.Trials.Count);
                    mark = changes.Mark;
                }
            })).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(seconds * 0.8));
            await using (var db = new NpgsqlConnection(PostgresStudyStore.ToConnectionString(connection)))
            {
                await db.OpenAsync();
                await using var count_ = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend';", db);
                connections = (long)(await count_.ExecuteScalarAsync())!;
            }
            var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
            await Task.WhenAll(workers);
            var elapsed = clock.Elapsed.TotalSeconds;
            static double Pct(IEnumerable<double> values, double p)
            {
                var sorted = values.Order().ToArray();
                return sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, p * sorted.Length)];
            }
            Console.WriteLine($"| {count} | {count * 1000.0 / trialMs:F0} | {done / elapsed:F0} | {Pct(create, 0.5):F1} / {Pct(create, 0.95):F1} | {Pct(finish, 0.95):F1} | " +
                $"{Pct(reload, 0.95):F1} | {rows.DefaultIfEmpty().Average():F0} | {connections} | {load} |");
        }
    }
}

/// <summary>Worker processes (tests/StudyWorker, built beside this program) on one study.</summary>
internal static class WorkerProcesses
{
    public sealed record Result(double Seconds, double Rate, int Duplicates, int Lost, string LoadBefore, string LoadAfter);

    private static string Load1() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    public static async Task<Result> RunAsync(string connection, string study, int count, int trials, int trialMs, int trialMsMax)
    {
        string[] common = ["--storage", connection, "--study", study, "--points", "1", "--trials", trials.ToString(CultureInfo.InvariantCulture),
            "--trial-ms", trialMs.ToString(CultureInfo.InvariantCulture), "--trial-ms-max", trialMsMax.ToString(CultureInfo.InvariantCulture), "--heartbeat-ms", "2000"];
        using (var creator = Start([.. common, "--create"]))
        {
            await creator.WaitForExitAsync();
            if (creator.ExitCode != 0) throw new InvalidOperationException("the study could not be created: " + await creator.StandardError.ReadToEndAsync());
        }
        var workers = Enumerable.Range(0, count).Select(_ => Start([.. common, "--wait-for-go"])).ToArray();
        var starts = new System.Collections.Concurrent.ConcurrentBag<int>();
        try
        {
            var ready = workers.Select(async p =>
            {
                while (await p.StandardOutput.ReadLineAsync() is { } line && line != "ready") { }
            }).ToArray();
            await Task.WhenAll(ready);
            var loadBefore = Load1();
            var clock = Stopwatch.StartNew();
            foreach (var p in workers) await p.StandardInput.WriteLineAsync("go");
            await Task.WhenAll(workers.Select(async p =>
            {
                while (await p.StandardOutput.ReadLineAsync() is { } line)
                    if (line.StartsWith("start ", StringComparison.Ordinal)) starts.Add(int.Parse(line[6..], CultureInfo.InvariantCulture));
                await p.WaitForExitAsync();
                if (p.ExitCode != 0) throw new InvalidOperationException($"worker {p.Id} exited with {p.ExitCode}: " + await p.StandardError.ReadToEndAsync());
            }));
            var seconds = clock.Elapsed.TotalSeconds;
            var loadAfter = Load1();
            using var store = new PostgresStudyStore(connection);
            await store.OpenAsync(study, $"objective=sleep-grid; points=1; sampler=random; pruner=none; seed=42");
            var stored = await store.LoadTrialsAsync();
            var complete = stored.Count(t => t.Number < trials && t.State == TrialState.Complete);
            return new(seconds, stored.Count(t => t.IsFinished) / seconds, starts.GroupBy(n => n).Count(g => g.Count() > 1), trials - complete, loadBefore, loadAfter);
        }
        finally
        {
            foreach (var p in workers)
            {
                if (!p.HasExited) p.Kill();
                p.Dispose();
            }
        }
    }

    private static Process Start(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MLWorkbench.Tests.StudyWorker.dll"));
        foreach (var a in arguments) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }
}

/// <summary>One step that sleeps: a trial whose cost is waiting, not computing (as a remote or GPU trial would be for the store).</summary>
internal sealed class SleepObjective(TimeSpan sleep) : IObjective
{
    private readonly System.Collections.Concurrent.ConcurrentBag<int> _evaluations = [];
    public IEnumerable<int> Evaluations => _evaluations;
    public string Name => "sleep";
    public JointSearchSpace Space { get; } = new([new SearchSpace("toy", [new FloatDomain("x", 0, 1)], new Dictionary<string, object> { ["x"] = 0.5 })]);
    public IReadOnlyList<TrialConfig> StartingPoints { get; } = [new TrialConfig("toy", new Dictionary<string, object> { ["x"] = 0.5 })];
    public string Fingerprint => "objective=sleep";
    public double Loss(IReadOnlyDictionary<string, double> metrics) => metrics["loss"];
    public double TieBreak(StoredTrial trial) => 0;

    public async Task<TrialEvaluation> EvaluateAsync(Trial trial, CancellationToken cancellationToken)
    {
        _evaluations.Add(trial.Number);
        await Task.Delay(sleep, cancellationToken);
        var x = (double)trial.Config.Parameters["x"];
        await trial.ReportAsync(new Dictionary<string, double> { ["loss"] = (x - 0.3) * (x - 0.3) }, cancellationToken);
        return TrialEvaluation.Complete;
    }
}
