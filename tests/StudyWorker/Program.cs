// A worker process on a synthetic study in PostgreSQL, as `mlwb worker` is one on a real search: a Study with its own
// PostgresStudyStore, run until the study's trial limit. Its trials sleep instead of training, so it starts fast and
// the tests can kill or stop it at a known moment; what it prints lets them tell what each process did.
//   study-worker --storage CONN --study NAME --points N [--create] [--trials N] [--trial-ms N] [--slow TRIAL:MS ...]
//                [--trial-ms-max N] [--grace-ms N] [--heartbeat-ms N] [--max-attempts N] [--parallel N] [--sampler NAME] [--wait-for-go]
//                [--finalize-ms N]
// --create queues the grid's N points (x = 0..N-1) and exits; without it the process works on the study until it is done.
// A trial sleeps --trial-ms, or between --trial-ms and --trial-ms-max (a fixed spread over the trial numbers).
// --wait-for-go runs a private warm-up study of a few trials (so that the code is compiled), opens the study, prints
// "ready" and waits for a line on standard input before it starts: for benchmarks, so that start-up is not timed.
// --finalize-ms N: once the study is done, take part in its finalize job (PostgresStudyStore.FinalizeAsync), whose work
// prints "finalizing", sleeps N ms and stores {"pid":PID,"complete":COUNT}; then "finalized" (this process stored it) or
// "finalized elsewhere".
// Every line it prints is "start N" (trial N began here), "lost N" (this process learnt it no longer holds trial N's
// lease), "committed N" / "refused N" (the store took / refused its result of trial N) or "stop REASON" at the end.
using System.Globalization;
using MLWorkbench.Tasks;
using MLWorkbench.AutoML;

try
{
    var options = WorkerOptions.Parse(args);
    var store = new LoggingStore(new PostgresStudyStore(options.Storage, new PostgresStoreSettings
    {
        GracePeriod = TimeSpan.FromMilliseconds(options.GraceMs), MaxAttempts = options.MaxAttempts,
    }));
    using (store)
    {
        var objective = new SleepGrid(options.Points, options.TrialMs, Math.Max(options.TrialMs, options.TrialMsMax), options.Slow);
        var study = new Study(store, Samplers.Create(options.Sampler), Pruners.None(), new StudySettings
        {
            Name = options.Study, MaxTrials = options.Trials, BudgetSeconds = null, Parallel = options.Parallel,
            HeartbeatInterval = TimeSpan.FromMilliseconds(options.HeartbeatMs),
        });
        if (options.Create)
        {
            await store.OpenAsync(options.Study, study.Fingerprint(objective));
            foreach (var point in objective.StartingPoints) await store.EnqueueAsync(point);
            Console.WriteLine($"created {objective.StartingPoints.Count}");
            return 0;
        }
        // SIGTERM (docker stop, a Kubernetes eviction) ends the run as Ctrl+C does: running trials stay leased and are
        // queued again by the others after the grace period.
        if (options.WaitForGo)
        {
            // On 2 cores, 16 processes compiling the same paths at once would be timed instead of the store; 40 trials take
            // the per-trial paths past the runtime's 30 calls (5 ms each: counting starts once no new method has compiled for
            // 100 ms), so that their optimized recompilation happens here too, not on the clock.
            using (var warmStore = new PostgresStudyStore(options.Storage))
            {
                var warm = new Study(warmStore, Samplers.Create(options.Sampler), Pruners.None(), study.Settings with
                {
                    Name = $"{options.Study}-warm-up-{Environment.ProcessId}", MaxTrials = 40,
                });
                await warm.OptimizeAsync(new SleepGrid(1, 5, 5, new Dictionary<int, int>(), quiet: true));
            }
            await store.OpenAsync(options.Study, study.Fingerprint(objective));
            Console.WriteLine("ready");
            await Console.In.ReadLineAsync();
            store.Reset();
        }
        var cpuAtStart = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        using var stop = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        var run = await study.OptimizeAsync(objective, cancellationToken: stop.Token);
        Console.WriteLine($"stop {run.StopReason}");
        // What this process cost the study, for the benchmark: its store calls and its CPU from "go" to the end of its run.
        Console.WriteLine($"calls {store.Calls()}");
        Console.WriteLine($"cpu-ms {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)}");
        if (options.FinalizeMs is { } finalizeMs && run.StopReason != "interrupted")
        {
            // The study's finalize job, as mlwb's refit and report: it sleeps, then stores which process did it.
            var mine = await store.Inner.FinalizeAsync(async lost =>
            {
                Console.WriteLine("finalizing");
                var trials = await store.LoadTrialsAsync(lost);
                await Task.Delay(finalizeMs, lost);
                return $"{{\"pid\":{Environment.ProcessId},\"complete\":{trials.Count(t => t.State == TrialState.Complete)}}}";
            }, TimeSpan.FromMilliseconds(options.HeartbeatMs), stop.Token);
            Console.WriteLine(mine ? "finalized" : "finalized elsewhere");
        }
        return 0;
    }
}
catch (WorkbenchInputException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

/// <summary>The command line of the worker.</summary>
internal sealed record WorkerOptions(string Storage, string Study, int Points, int Trials, int TrialMs, int TrialMsMax, IReadOnlyDictionary<int, int> Slow,
    int GraceMs, int HeartbeatMs, int MaxAttempts, int Parallel, string Sampler, bool Create, bool WaitForGo, int? FinalizeMs = null)
{
    public static WorkerOptions Parse(string[] args)
    {
        string? Text(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        int Number(string name, int fallback)
        {
            var text = Text(name);
            if (text is null) return fallback;
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
                ? value : throw new WorkbenchInputException($"{name} takes a whole number of zero or more, not '{text}'.");
        }
        var slow = new Dictionary<int, int>();
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] != "--slow") continue;
            var parts = args[i + 1].Split(':');
            if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var trial) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var ms))
                throw new WorkbenchInputException($"--slow takes TRIAL:MILLISECONDS, not '{args[i + 1]}'.");
            slow[trial] = ms;
        }
        var points = Number("--points", 0);
        if (points < 1) throw new WorkbenchInputException("--points must be at least 1.");
        return new(
            Text("--storage") ?? throw new WorkbenchInputException("--storage CONNECTION is required."),
            Text("--study") ?? throw new WorkbenchInputException("--study NAME is required."),
            points, Math.Max(1, Number("--trials", points)), Number("--trial-ms", 20), Number("--trial-ms-max", 0), slow, Math.Max(1, Number("--grace-ms", 60_000)),
            Math.Max(1, Number("--heartbeat-ms", 10_000)), Math.Max(1, Number("--max-attempts", 3)), Math.Max(1, Number("--parallel", 1)),
            Text("--sampler") ?? "random", args.Contains("--create"), args.Contains("--wait-for-go"), Text("--finalize-ms") is null ? null : Number("--finalize-ms", 0));
    }
}

/// <summary>
/// Grid points x = 0..N-1 (queued), then whatever the sampler proposes in [0, N]; a trial sleeps, then reports loss x.
/// A trial that learns it lost its lease (its token is cancelled by the study, or the store refuses its report) says so.
/// </summary>
internal sealed class SleepGrid(int points, int trialMs, int trialMsMax, IReadOnlyDictionary<int, int> slow, bool quiet = false) : IObjective
{
    public string Name => "grid";

    public JointSearchSpace Space { get; } =
        new([new SearchSpace("toy", [new FloatDomain("x", 0, points)], new Dictionary<string, object> { ["x"] = 0.0 })]);

    public IReadOnlyList<TrialConfig> StartingPoints { get; } =
        Enumerable.Range(0, points).Select(i => new TrialConfig("toy", new Dictionary<string, object> { ["x"] = (double)i })).ToArray();

    public string Fingerprint => $"objective=sleep-grid; points={points}";

    public double Loss(IReadOnlyDictionary<string, double> metrics) => metrics["loss"];

    public double TieBreak(StoredTrial trial) => 0;

    public async Task<TrialEvaluation> EvaluateAsync(Trial trial, CancellationToken cancellationToken)
    {
        if (!quiet) Console.WriteLine($"start {trial.Number}");
        try
        {
            // Spread by a multiplicative hash of the number: the same durations in every run, not in number order.
            var spread = (int)(unchecked((uint)trial.Number * 2654435761u) % (uint)(trialMsMax - trialMs + 1));
            await Task.Delay(slow.TryGetValue(trial.Number, out var ms) ? ms : trialMs + spread, cancellationToken);
            await trial.ReportAsync(new Dictionary<string, double> { ["loss"] = (double)trial.Config.Parameters["x"] }, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            // Nothing but a lost lease cancels a trial here (no budget, and SIGTERM stops between trials' ends).
            Console.WriteLine($"lost {trial.Number}");
            throw;
        }
        return TrialEvaluation.Complete;
    }
}

/// <summary>The PostgreSQL store, saying whether it took each result this process tried to write.</summary>
internal sealed class LoggingStore(PostgresStudyStore inner) : IStudyStore
{
    // Calls of the store by method since the last Reset: each is one transaction, i.e. one round trip or a few.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    private T Count<T>(string method, T call)
    {
        _calls.AddOrUpdate(method, 1, (_, n) => n + 1);
        return call;
    }

    /// <summary>Forgets the calls counted so far (those of opening the study, before the clock starts).</summary>
    public void Reset() => _calls.Clear();

    /// <summary>The calls since the last reset, e.g. "FinishAsync=12 HeartbeatAsync=3".</summary>
    public string Calls() => string.Join(' ', _calls.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value.ToString(CultureInfo.InvariantCulture)}"));

    public PostgresStudyStore Inner => inner;
    public string? Location => inner.Location;
    public Task OpenAsync(string name, string fingerprint, CancellationToken cancellationToken = default) => Count("OpenAsync", inner.OpenAsync(name, fingerprint, cancellationToken));
    public Task<IReadOnlyList<StoredTrial>> LoadTrialsAsync(CancellationToken cancellationToken = default) => Count("LoadTrialsAsync", inner.LoadTrialsAsync(cancellationToken));
    public Task<(IReadOnlyList<StoredTrial> Trials, long? Mark)> LoadChangedTrialsAsync(long? since, CancellationToken cancellationToken = default) => Count("LoadChangedTrialsAsync", inner.LoadChangedTrialsAsync(since, cancellationToken));
    public Task<double> GetSpentSecondsAsync(CancellationToken cancellationToken = default) => Count("GetSpentSecondsAsync", inner.GetSpentSecondsAsync(cancellationToken));
    public Task AddSpentSecondsAsync(double seconds, CancellationToken cancellationToken = default) => Count("AddSpentSecondsAsync", inner.AddSpentSecondsAsync(seconds, cancellationToken));
    public Task<TrialLease> CreateTrialAsync(Func<int, TrialConfig> propose, CancellationToken cancellationToken = default) => Count("CreateTrialAsync", inner.CreateTrialAsync(propose, cancellationToken));
    public Task<TrialLease?> CreateTrialBelowAsync(Func<int, TrialConfig> propose, int limit, CancellationToken cancellationToken = default) =>
        Count("CreateTrialBelowAsync", inner.CreateTrialBelowAsync(propose, limit, cancellationToken));
    public Task<int> EnqueueAsync(TrialConfig config, CancellationToken cancellationToken = default) => Count("EnqueueAsync", inner.EnqueueAsync(config, cancellationToken));
    public Task<TrialLease?> ClaimQueuedAsync(CancellationToken cancellationToken = default) => Count("ClaimQueuedAsync", inner.ClaimQueuedAsync(cancellationToken));
    public Task<bool> HeartbeatAsync(TrialLease lease, CancellationToken cancellationToken = default) => Count("HeartbeatAsync", inner.HeartbeatAsync(lease, cancellationToken));

    public Task<bool> ReportAsync(TrialLease lease, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default) =>
        Count("ReportAsync", inner.ReportAsync(lease, step, metrics, cancellationToken));

    public async Task<bool> FinishAsync(TrialLease lease, StoredTrial trial, CancellationToken cancellationToken = default)
    {
        var taken = await Count("FinishAsync", inner.FinishAsync(lease, trial, cancellationToken));
        Console.WriteLine($"{(taken ? "committed" : "refused")} {lease.Number}");
        return taken;
    }

    public Task SaveTrialAsync(StoredTrial trial, CancellationToken cancellationToken = default) => Count("SaveTrialAsync", inner.SaveTrialAsync(trial, cancellationToken));
    public void Dispose() => inner.Dispose();
}
