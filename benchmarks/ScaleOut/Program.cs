// Issue 17 benchmark (see run.sh): the PostgreSQL study store under concurrent workers, on loopback.
//   scaleout-benchmark CONNECTION [--claims N] [--trials N] [--trial-ms N] [--workers 1,2,4,8]
// 1. claims + completes per second with 1 and 8 workers (each worker its own store, i.e. its own connection pool), on a
//    fresh study and again on a study that already holds 20,000 finished trials (the partial index keeps claims flat);
// 2. a study of short synthetic trials (a trial sleeps --trial-ms, so the 2 cores do not limit it) run by 1..N workers,
//    each a Study with its own store: trials per second, speed-up, duplicates (a number evaluated twice) and lost trials.
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
var workerCounts = Array.IndexOf(args, "--workers") is var w and >= 0 ? args[w + 1].Split(',').Select(int.Parse).ToArray() : [1, 2, 4, 8];

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

Console.WriteLine();
Console.WriteLine($"## claims + completes per second ({claims} queued trials, each worker its own store)");
Console.WriteLine("| workers | finished rows before | pairs/s |");
Console.WriteLine("|---|---|---|");
foreach (var (workers, before) in new[] { (1, 0), (8, 0), (1, 20_000), (8, 20_000) })
{
    var rate = await ClaimsPerSecondAsync($"claims-{run}-{workers}-{before}", workers, claims, before);
    Console.WriteLine($"| {workers} | {before:N0} | {rate:F0} |");
}

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
Console.WriteLine();
Console.WriteLine($"load average after: {Load()}");

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
