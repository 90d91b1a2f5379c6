using System.Collections.Concurrent;
using System.Diagnostics;
using MLWorkbench.Experiments;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.AutoML;

/// <summary>Limits and settings of a <see cref="Study"/>. Every default is documented on its property.</summary>
public sealed record StudySettings
{
    /// <summary>The study's name inside its store (default <c>study</c>).</summary>
    public string Name { get; init; } = "study";

    /// <summary>At most this many trials (default: no limit).</summary>
    public int? MaxTrials { get; init; }

    /// <summary>Seconds the search may take (default 60); no new trial starts after it. Null: only <see cref="MaxTrials"/> limits.</summary>
    public double? BudgetSeconds { get; init; } = 60;

    /// <summary>Seed of the sampler: trial n draws from its own random source seeded by this and n (default 42).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Trials run at once (default 1).</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>The longest one trial may take, as a share of the budget (default 0.5); longer trials fail.</summary>
    public double TrialTimeShare { get; init; } = 0.5;

    /// <summary>How often a running trial tells the store it is alive (default 10 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Optuna's study: drives an <see cref="IObjective"/> with the <see cref="ISampler"/>, <see cref="IPruner"/> and
/// <see cref="IStudyStore"/> it receives. Queued trials (the objective's starting points, trials a stopped process left
/// running) are claimed first, in number order; otherwise the sampler proposes the next configuration from every trial
/// so far (those running in the same batch included). Each trial runs under a lease with heartbeats, reports its steps
/// to the store, and is finished in the store the moment it ends, so a killed search resumes where it stopped: finished
/// trials are replayed, not retrained, and trial n's random source depends only on the seed and n, so a resumed study
/// proposes what the uninterrupted one would have.
/// </summary>
public sealed class Study
{
    /// <summary>Creates a study; the caller keeps ownership of (and disposes) <paramref name="store"/>.</summary>
    public Study(IStudyStore store, ISampler sampler, IPruner pruner, StudySettings? settings = null)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        Sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
        Pruner = pruner ?? throw new ArgumentNullException(nameof(pruner));
        Settings = settings ?? new StudySettings();
        ArgumentOutOfRangeException.ThrowIfLessThan(Settings.Parallel, 1, nameof(settings));
        if (Settings.MaxTrials is < 1) throw new ArgumentOutOfRangeException(nameof(settings), "MaxTrials must be at least 1.");
        if (Settings.BudgetSeconds is <= 0) throw new ArgumentOutOfRangeException(nameof(settings), "BudgetSeconds must be positive.");
        if (Settings.MaxTrials is null && Settings.BudgetSeconds is null) throw new ArgumentException("Give a time budget, a number of trials, or both.", nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Settings.HeartbeatInterval, TimeSpan.Zero, nameof(settings));
    }

    /// <summary>Where the trials are kept.</summary>
    public IStudyStore Store { get; }

    /// <summary>What proposes configurations.</summary>
    public ISampler Sampler { get; }

    /// <summary>What stops trials that cannot win.</summary>
    public IPruner Pruner { get; }

    /// <summary>Limits and settings.</summary>
    public StudySettings Settings { get; }

    /// <summary>The full fingerprint of a search of <paramref name="objective"/> by this study: the objective's settings, then the sampler, pruner and seed.</summary>
    public string Fingerprint(IObjective objective) =>
        $"{objective.Fingerprint}; sampler={Sampler.Name}; pruner={Pruner.Name}; seed={Settings.Seed}";

    /// <summary>Runs the search, then lets the objective finish its best trial; returns the experiment's result.</summary>
    internal async Task<ExperimentResult> RunAsync(ISearchObjective objective, IProgress<TrialProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var run = await OptimizeAsync(objective, progress, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(objective, run).ConfigureAwait(false);
    }

    /// <summary>The experiment's result of <paramref name="run"/>, after the objective has finished its best trial (the refit).</summary>
    internal async Task<ExperimentResult> FinishAsync(ISearchObjective objective, StudyRun run)
    {
        var result = objective.NewResult();
        result.Trials.AddRange(run.Trials.Select(t => WithWorker(objective.Describe(t.Trial, t.FinishedAtSeconds), t.Trial)));
        result.AutoML = new AutoMLInfo
        {
            Tuner = Sampler.Name, Pruner = Pruner.Name, BudgetSeconds = Settings.BudgetSeconds, Folds = objective.Folds,
            Parallel = Settings.Parallel, StudyPath = Store.Location, ResumedTrials = run.Resumed, StopReason = run.StopReason,
            SpentBeforeSeconds = run.SpentBeforeSeconds, TrialShareSeconds = Settings.BudgetSeconds * Settings.TrialTimeShare,
            StartingTrials = objective.StartingPoints.Count, SearchSeconds = run.SearchSeconds,
        };
        foreach (var trial in result.Trials)
            if (trial.Number is { } number && run.AllowedSeconds?.TryGetValue(number, out var allowed) == true) trial.AllowedSeconds = allowed;
        var best = run.Best(objective);
        if (best is not null) result.Best = best.Config.Trainer;
        // Trials other workers ran: what the finish needs of them (their predictions, for the ensemble) is in the store.
        if (Store.KeepsArtifacts) await objective.AdoptAsync([.. run.Trials.Select(t => t.Trial)], Store, CancellationToken.None).ConfigureAwait(false);
        // The final refit runs even after Ctrl+C: the user keeps the best model found so far.
        result.AutoML.Final = await objective.FinishAsync(best, result).ConfigureAwait(false);
        return result;
    }

    /// <summary>Runs trials until the trial limit, the budget or cancellation; returns them in number order.</summary>
    public async Task<StudyRun> OptimizeAsync(IObjective objective, IProgress<TrialProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(objective);
        await Store.OpenAsync(Settings.Name, Fingerprint(objective), cancellationToken).ConfigureAwait(false);
        var loaded = await Store.LoadTrialsAsync(cancellationToken).ConfigureAwait(false);
        // A new study queues the objective's starting points first (a study stopped while queueing them queues the rest).
        for (var i = loaded.Count; i < objective.StartingPoints.Count; i++)
            await Store.EnqueueAsync(objective.StartingPoints[i], CancellationToken.None).ConfigureAwait(false);
        // The study's trials as last loaded. With many workers the store is read after every batch, so only what changed
        // since the last load is read (a store that cannot tell returns everything, and the copy is replaced).
        var stored = new Dictionary<int, StoredTrial>();
        long? mark = null;
        async Task RefreshAsync(CancellationToken token)
        {
            var changes = await Store.LoadChangedTrialsAsync(mark, token).ConfigureAwait(false);
            if (changes.Mark is null || mark is null) stored.Clear();
            foreach (var trial in changes.Trials) stored[trial.Number] = trial;
            mark = changes.Mark;
        }
        await RefreshAsync(cancellationToken).ConfigureAwait(false);

        var trials = new List<(StoredTrial Trial, double FinishedAtSeconds)>();
        var history = new List<TrialOutcome>();
        // Numbers already in the history. With other workers on the same study (a shared store), numbers are not taken in
        // order: a trial another worker runs is skipped and joins the history when it is found finished.
        var done = new HashSet<int>();
        // Resumed means finished before this run began; trials other workers finish meanwhile are not.
        var finishedBefore = stored.Values.Where(t => t.IsFinished).Select(t => t.Number).ToHashSet();
        // One budget for the whole study: earlier runs' time counts, and this run adds its own after every batch.
        var spentBefore = await Store.GetSpentSecondsAsync(cancellationToken).ConfigureAwait(false);
        var spentByAll = spentBefore;
        var clock = Stopwatch.StartNew();
        double recorded = 0;
        // Without a budget nobody reads the total while the study runs (only the finalizer, after every run has recorded
        // its own at its end), so between batches it is written at most once a heartbeat interval: a round trip less
        // per light trial. A worker killed in between loses at most that interval of its seconds from the total.
        async Task RecordSpentAsync(bool final = false)
        {
            var now = clock.Elapsed.TotalSeconds;
            if (now <= recorded) return;
            if (!final && Settings.BudgetSeconds is null && now - recorded < Settings.HeartbeatInterval.TotalSeconds) return;
            await Store.AddSpentSecondsAsync(now - recorded, CancellationToken.None).ConfigureAwait(false);
            recorded = now;
        }
        double resumedSeconds = 0;
        var resumed = 0;
        var next = 0;
        var notStarted = 0;
        // The seconds each trial of this run was allowed when it started, for the results.
        var allowedSeconds = new ConcurrentDictionary<int, double>();
        string stopReason;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested) { stopReason = "interrupted"; break; }
            if (Settings.MaxTrials is { } max && next >= max) { stopReason = "trials"; break; }
            if (stored.TryGetValue(next, out var old) && old.IsFinished)
            {
                if (done.Add(next))
                {
                    resumedSeconds += old.Seconds;
                    history.Add(Outcome(objective, old));
                    trials.Add((old, resumedSeconds));
                    if (finishedBefore.Contains(next)) resumed++;
                }
                next++;
                continue;
            }
            // Other workers' seconds count too: the total is read again before every batch.
            if (Settings.BudgetSeconds is { } budget && spentByAll + clock.Elapsed.TotalSeconds - recorded >= budget) { stopReason = "budget"; break; }
            // Trials the objective would not start (they could not finish in what is left): after a few in a row the
            // sampler is not going to propose one that fits, so the budget is as good as spent.
            if (notStarted >= MaxNotStartedInARow) { stopReason = "budget"; break; }
            double? left = Settings.BudgetSeconds is { } b ? b - (spentByAll + clock.Elapsed.TotalSeconds - recorded) : null;

            // One batch of consecutive numbers. Samplers see running trials (other workers', and the others of this
            // batch), so that they do not propose the same point twice.
            var batch = new List<TrialLease>();
            // Trials other workers finished past one that still runs are not in the history yet (it is replayed in
            // number order): the sampler sees them as well.
            var pending = new List<TrialOutcome>(history);
            pending.AddRange(stored.Values.Where(t => t.State == TrialState.Running || t.IsFinished && !done.Contains(t.Number))
                .OrderBy(t => t.Number).Select(t => Outcome(objective, t)));
            var passedRunning = false;
            for (var number = next; batch.Count < Settings.Parallel && (Settings.MaxTrials is not { } m || number < m); number++)
            {
                stored.TryGetValue(number, out var existing);
                if (existing is { IsFinished: true } && !done.Contains(number))
                {
                    // Finished trials are replayed first, in order, so that a resumed study proposes what the uninterrupted
                    // one did. Past a trial that another worker still runs that order is lost anyway, and stopping here
                    // would idle this worker until that trial ends.
                    if (passedRunning) continue;
                    break;
                }
                if (existing is { State: TrialState.Running }) passedRunning = true; // another worker's
                if (existing is { IsFinished: true } or { State: TrialState.Running }) continue; // this run's, or another worker's
                var lease = existing is { State: TrialState.Queued }
                    ? await Store.ClaimQueuedAsync(CancellationToken.None).ConfigureAwait(false)
                    : Settings.MaxTrials is { } limit
                        // Counted by the store: other workers may have taken every number left since this one looked.
                        ? await Store.CreateTrialBelowAsync(n => Sampler.Propose(objective.Space, pending, RandomFor(n)), limit, CancellationToken.None).ConfigureAwait(false)
                        : await Store.CreateTrialAsync(n => Sampler.Propose(objective.Space, pending, RandomFor(n)), CancellationToken.None).ConfigureAwait(false);
                // Another worker may have taken this number first: the store's lease says which trial is ours.
                if (lease is null) break;
                batch.Add(lease);
                pending.Add(new TrialOutcome(lease.Number, lease.Config, TrialState.Running, null, [], 0));
                number = Math.Max(number, lease.Number);
            }
            if (batch.Count == 0)
            {
                // Nothing to claim or create below the trial limit, or another worker claimed first: look again. While
                // other workers' trials run, wait for them (a dead worker's trial is queued again and claimed here).
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
                var open = stored.Values.Where(t => t.Number >= next && !t.IsFinished && (Settings.MaxTrials is not { } cap || t.Number < cap)).ToArray();
                if (open.Any(t => t.State == TrialState.Queued) || stored.TryGetValue(next, out var due) && due.IsFinished) continue;
                if (open.Length == 0) { next++; continue; }
                if (!await WaitForOthersAsync(cancellationToken).ConfigureAwait(false)) { stopReason = "interrupted"; break; }
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            foreach (var lease in batch) progress?.Report(new TrialProgress(objective.Name, lease.Config.Trainer, lease.Number, Settings.MaxTrials ?? 0, null));
            var snapshot = history.ToArray();
            var finishedSoFar = trials.Select(t => t.Trial).ToArray();
            StoredTrial[] finished;
            try
            {
                // A trial whose lease was lost is left out: it joins the history when its new worker finishes it.
                finished = [.. (await Task.WhenAll(batch.Select(l => RunTrialAsync(objective, l, snapshot, finishedSoFar, left, allowedSeconds, cancellationToken))).ConfigureAwait(false))
                    .OfType<StoredTrial>()];
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The interrupted trials stay running in the store; the next open queues them again.
                stopReason = "interrupted";
                break;
            }
            notStarted = finished.All(t => t.State == TrialState.Failed && t.Reason?.StartsWith(NotStartedPrefix, StringComparison.Ordinal) == true) ? notStarted + finished.Length : 0;
            foreach (var trial in finished)
            {
                history.Add(Outcome(objective, trial));
                trials.Add((trial, resumedSeconds + clock.Elapsed.TotalSeconds));
                done.Add(trial.Number);
                progress?.Report(new TrialProgress(objective.Name, trial.Config.Trainer, trial.Number, Settings.MaxTrials ?? 0, StatusOf(trial.State)));
            }
            await RecordSpentAsync().ConfigureAwait(false);
            // Without a budget nobody needs the total before the end: one round trip less per batch.
            if (Settings.BudgetSeconds is not null) spentByAll = await Store.GetSpentSecondsAsync(CancellationToken.None).ConfigureAwait(false);
            await RefreshAsync(CancellationToken.None).ConfigureAwait(false);
            while (done.Contains(next)) next++;
        }
        await RecordSpentAsync(final: true).ConfigureAwait(false);
        // Trials other workers finished while this one ran belong to the study's result too.
        if (stopReason != "interrupted")
        {
            await RefreshAsync(CancellationToken.None).ConfigureAwait(false);
            var final = stored.Values.OrderBy(t => t.Number).ToArray();
            foreach (var other in final.Where(t => t.IsFinished && !done.Contains(t.Number) && (Settings.MaxTrials is not { } limit || t.Number < limit)))
            {
                trials.Add((other, resumedSeconds + other.Seconds));
                done.Add(other.Number);
            }
            // The stored copy of a trial this process ran also says which worker ran it and how many attempts it took.
            var byNumber = final.Where(t => t.IsFinished && t.Worker is not null).ToDictionary(t => t.Number);
            for (var i = 0; i < trials.Count; i++)
                if (byNumber.TryGetValue(trials[i].Trial.Number, out var kept)) trials[i] = (kept, trials[i].FinishedAtSeconds);
            trials.Sort((a, b) => a.Trial.Number.CompareTo(b.Trial.Number));
        }
        return new StudyRun(trials, resumed, stopReason, spentBefore, spentBefore + clock.Elapsed.TotalSeconds, allowedSeconds);
    }

    /// <summary>Adds who ran <paramref name="trial"/> and how often it was started, when the store records it.</summary>
    internal static TrialResult WithWorker(TrialResult result, StoredTrial trial)
    {
        if (trial.Worker is not null) (result.Worker, result.Attempts) = (trial.Worker, trial.Attempts);
        return result;
    }

    /// <summary>Waits a moment for other workers' trials; false when cancelled.</summary>
    private async Task<bool> WaitForOthersAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Settings.HeartbeatInterval < TimeSpan.FromSeconds(1) ? Settings.HeartbeatInterval : TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>How the reason of a trial that its objective did not start begins (see <see cref="TrialEvaluation.NotStarted"/>).</summary>
    public const string NotStartedPrefix = "not started: ";

    private const int MaxNotStartedInARow = 3;

    private Random RandomFor(int number) => new(unchecked(Settings.Seed * 1_000_003 + number) & int.MaxValue);

    /// <summary>Runs one trial under its lease; null when the lease was lost (the trial is another worker's now).</summary>
    private async Task<StoredTrial?> RunTrialAsync(IObjective objective, TrialLease lease, IReadOnlyList<TrialOutcome> history,
        IReadOnlyList<StoredTrial> finished, double? secondsLeft, ConcurrentDictionary<int, double> allowedSeconds, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        // A trial gets its share of the budget, and never more than the budget has left: the search ends on time.
        var share = Settings.BudgetSeconds is { } budget ? Math.Max(1, budget * Settings.TrialTimeShare) : double.PositiveInfinity;
        var allowed = Math.Min(share, Math.Max(1, secondsLeft ?? double.PositiveInfinity));
        var limit = double.IsPositiveInfinity(allowed) ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(allowed);
        if (!double.IsPositiveInfinity(allowed)) allowedSeconds[lease.Number] = allowed;
        var trial = new Trial(lease, Store, Pruner, objective, history, finished, double.IsPositiveInfinity(allowed) ? null : allowed);
        using var lost = new CancellationTokenSource();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lost.Token);
        // A thread of the trial's own cancels it at its limit: the thread pool's timers can be starved by busy trainers.
        using var deadline = new DeadlineWatchdog(timeout, limit);
        TrialEvaluation evaluation;
        var heartbeat = LeaseHeartbeat.RunAsync(t => Store.HeartbeatAsync(lease, t), Settings.HeartbeatInterval, lost, timeout.Token);
        try
        {
            evaluation = await objective.EvaluateAsync(trial, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The store no longer takes this worker's heartbeats (it was paused past the grace period): another
            // worker runs the trial now, so stop at once; nothing of it can be written any more.
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            evaluation = new TrialEvaluation(TrialState.Failed, allowed < share
                ? $"cancelled at the end of the budget ({limit.TotalSeconds:0.#} s were left when it started)"
                : $"cancelled at its share of the budget ({limit.TotalSeconds:0.#} s)");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            evaluation = new TrialEvaluation(TrialState.Failed, MessageText.Failure(e));
        }
        finally
        {
            await timeout.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
        }
        // A promoted trial is queued for its next rung, which any worker may run; it joins the history when it ends.
        if (evaluation.Promoted)
        {
            if (!Store.QueuesPromotions) throw new InvalidOperationException($"Trial {lease.Number} was promoted, but its store does not queue promotions.");
            await Store.PromoteAsync(lease, lease.CarriedSeconds + clock.Elapsed.TotalSeconds, CancellationToken.None).ConfigureAwait(false);
            return null;
        }
        var steps = trial.Steps;
        double? score = evaluation.State == TrialState.Failed || steps.Count == 0 ? null : steps.Average(objective.Loss);
        var stored = new StoredTrial(lease.Number, lease.Config, evaluation.State, score, steps, lease.CarriedSeconds + clock.Elapsed.TotalSeconds,
            evaluation.Reason, DateTimeOffset.UtcNow);
        // False when the lease was lost (a shared store gave the trial to another worker): its result is not ours to write.
        return await Store.FinishAsync(lease, stored, CancellationToken.None).ConfigureAwait(false) ? stored : null;
    }

    // Cost for samplers is an estimate (the trainer's relative cost per step scored), not wall-clock time: with
    // measured seconds, cost-aware samplers (CFO) would propose a different sequence on every run.
    private static TrialOutcome Outcome(IObjective objective, StoredTrial t) =>
        new(t.Number, t.Config, t.State, t.Score, t.FoldMetrics.Select(objective.Loss).ToArray(),
            objective.Space.Trainers.FirstOrDefault(s => s.Trainer == t.Config.Trainer)?.RelativeCost * Math.Max(1, t.FoldMetrics.Count) ?? 1);

    internal static string StatusOf(TrialState state) => state switch
    {
        TrialState.Complete => TrialStatus.Succeeded,
        TrialState.Pruned => TrialStatus.Pruned,
        _ => TrialStatus.Failed,
    };
}

/// <summary>What a study ran: every trial in number order with its finishing time, how many were resumed, and why it stopped.</summary>
/// <param name="Trials">Each trial and the seconds since the study started when it finished (resumed trials count their recorded seconds).</param>
/// <param name="Resumed">Trials replayed from the store, not run again.</param>
/// <param name="StopReason"><c>trials</c>, <c>budget</c> or <c>interrupted</c>.</param>
/// <param name="SpentBeforeSeconds">Seconds of the budget that earlier runs of the study had spent (0 for a new study).</param>
/// <param name="SearchSeconds">Seconds the search ran, earlier runs included, before any refit (null when not measured by this process).</param>
/// <param name="AllowedSeconds">The seconds each trial this run started was allowed (its share, or what the budget had left), by trial number.</param>
public sealed record StudyRun(IReadOnlyList<(StoredTrial Trial, double FinishedAtSeconds)> Trials, int Resumed, string StopReason, double SpentBeforeSeconds = 0,
    double? SearchSeconds = null, IReadOnlyDictionary<int, double>? AllowedSeconds = null)
{
    /// <summary>The complete trial with the lowest score (then the objective's tie-break, then the lowest number); null when none.</summary>
    public StoredTrial? Best(IObjective objective) => Trials.Select(t => t.Trial)
        .Where(t => t.State == TrialState.Complete && t.Score is not null)
        .OrderBy(t => t.Score).ThenBy(objective.TieBreak).ThenBy(t => t.Number).FirstOrDefault();
}

/// <summary>
/// One running trial as the objective sees it (Optuna's trial): its number and configuration, a way to report each
/// step's metrics to the store, and the pruner's verdict on the steps so far.
/// </summary>
public sealed class Trial
{
    private readonly TrialLease _lease;
    private readonly IStudyStore _store;
    private readonly IPruner _pruner;
    private readonly IObjective _objective;
    private readonly IReadOnlyList<TrialOutcome> _history;
    private readonly List<IReadOnlyDictionary<string, double>> _steps = [];

    internal Trial(TrialLease lease, IStudyStore store, IPruner pruner, IObjective objective, IReadOnlyList<TrialOutcome> history, IReadOnlyList<StoredTrial> finished,
        double? secondsAllowed = null)
    {
        (_lease, _store, _pruner, _objective, _history, Finished, SecondsAllowed) = (lease, store, pruner, objective, history, finished, secondsAllowed);
    }

    /// <summary>
    /// The most seconds this trial may run: its share of the budget, or what the budget has left when that is less
    /// (null without a budget). The study cancels the trial's token when they are up; an objective that can predict
    /// its cost does not start a trial that cannot finish in them.
    /// </summary>
    public double? SecondsAllowed { get; }

    /// <summary>The trial's unique number in its study.</summary>
    public int Number => _lease.Number;

    /// <summary>The trainer and hyperparameters to try.</summary>
    public TrialConfig Config => _lease.Config;

    /// <summary>The trials that finished before this one started, in number order.</summary>
    public IReadOnlyList<StoredTrial> Finished { get; }

    /// <summary>The study's pruner, which <see cref="ShouldPrune"/> asks.</summary>
    public IPruner Pruner => _pruner;

    /// <summary>The metrics reported so far, one entry per step.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Steps => _steps;

    /// <summary>Reports the next step's metrics (a fold, an epoch) and records them in the store.</summary>
    public async Task ReportAsync(IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (!await _store.ReportAsync(_lease, _steps.Count, metrics, cancellationToken).ConfigureAwait(false))
            throw new InvalidOperationException($"Trial {Number} lost its lease; its step {_steps.Count} was not recorded.");
        _steps.Add(metrics);
    }

    /// <summary>
    /// True when a trial that earns its next rung is queued for it (<see cref="TrialEvaluation.Promote"/>), for any worker
    /// to run, instead of going on here: the study's store is shared by workers.
    /// </summary>
    public bool QueuesPromotions => _store.QueuesPromotions;

    /// <summary>The steps this trial's earlier rung jobs reported (a promoted trial claimed again); empty otherwise.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Carried => _lease.Carried;

    /// <summary>True when the study's store keeps trials' artifacts (<see cref="IStudyStore.KeepsArtifacts"/>): workers on other machines need them.</summary>
    public bool KeepsArtifacts => _store.KeepsArtifacts;

    /// <summary>
    /// Keeps <paramref name="content"/> as this trial's artifact <paramref name="name"/> in the store, under the trial's
    /// lease (false when the lease was lost, or the store keeps no artifacts).
    /// </summary>
    public Task<bool> SaveArtifactAsync(string name, byte[] content, CancellationToken cancellationToken = default) =>
        _store.SaveArtifactAsync(_lease, name, content, cancellationToken);

    /// <summary>True when the pruner says the steps so far cannot win against the trials that finished before this one.</summary>
    public bool ShouldPrune() => _steps.Count > 0 && _pruner.ShouldPrune(_steps.Select(_objective.Loss).ToArray(), _history);
}
