using MLWorkbench.Tasks;

namespace MLWorkbench.AutoML;

/// <summary>
/// Where a study keeps every trial through its whole life, as Optuna's storage does: a trial is created as running
/// under a unique number and a lease token, heartbeats while it runs, reports intermediate values (one per fold or
/// step), and is finished only under its token, so that a worker whose lease was taken over cannot overwrite the
/// result. Work can be queued (<see cref="EnqueueAsync"/>) and claimed (<see cref="ClaimQueuedAsync"/>), and
/// <see cref="LoadTrialsAsync"/> shows running trials too, so that samplers do not propose them again.
/// <c>SqliteStudyStore</c> implements it for one process; a server database can implement it for many workers
/// without touching <see cref="Study"/>.
/// </summary>
public interface IStudyStore : IDisposable
{
    /// <summary>Where the trials are kept, e.g. the full path of a file; null when they live in memory only.</summary>
    string? Location { get; }

    /// <summary>
    /// Opens the study called <paramref name="name"/>, creating it when new. <paramref name="fingerprint"/> lists every
    /// setting that changes results (<c>key=value; key=value</c>: data hash, task, folds, trainers, sampler, pruner,
    /// seed, ...); opening an existing study with a different fingerprint throws <see cref="WorkbenchInputException"/>
    /// naming the settings that differ, since its trials would not be comparable.
    /// </summary>
    Task OpenAsync(string name, string fingerprint, CancellationToken cancellationToken = default);

    /// <summary>Every trial of the open study (finished, running and queued), in trial-number order.</summary>
    Task<IReadOnlyList<StoredTrial>> LoadTrialsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The trials created, claimed, reported, finished or queued again since the load that returned <paramref name="since"/>
    /// (a heartbeat alone is not a change), with the mark to pass next time; <paramref name="since"/> null loads every
    /// trial. Trials are never deleted, so a caller keeps what it loaded and replaces the returned trials by number. The
    /// default loads every trial and returns no mark, which is always correct; a store shared by many workers (where the
    /// study reloads after every batch) returns only what changed.
    /// </summary>
    /// <returns>The trials that changed, in trial-number order, and the mark to pass next time (null when the trials are
    /// every trial and the next load must read every trial too).</returns>
    async Task<(IReadOnlyList<StoredTrial> Trials, long? Mark)> LoadChangedTrialsAsync(long? since, CancellationToken cancellationToken = default) =>
        (await LoadTrialsAsync(cancellationToken).ConfigureAwait(false), null);

    /// <summary>
    /// Seconds the opened study's searches have spent so far, over every run (and every worker): the budget counts
    /// these, so a resumed search gets what is left of it, not the whole budget again.
    /// </summary>
    Task<double> GetSpentSecondsAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds <paramref name="seconds"/> that this run spent searching to the opened study's total.</summary>
    Task AddSpentSecondsAsync(double seconds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a running trial under the next unique number; <paramref name="propose"/> receives that number and
    /// returns the configuration to try (a sampler seeded by the trial number). Returns the trial's lease.
    /// </summary>
    Task<TrialLease> CreateTrialAsync(Func<int, TrialConfig> propose, CancellationToken cancellationToken = default);

    /// <summary>
    /// Like <see cref="CreateTrialAsync"/>, but only while the next number is below <paramref name="limit"/>: null when the
    /// study already has <paramref name="limit"/> trials. A store shared by many workers counts under its lock, so that
    /// together they never create more (Optuna's <c>MaxTrialsCallback</c> counts afterwards and overshoots by up to one
    /// trial per worker). The default creates the trial: right for a store with one writer, whose numbers follow the
    /// caller's own count.
    /// </summary>
    async Task<TrialLease?> CreateTrialBelowAsync(Func<int, TrialConfig> propose, int limit, CancellationToken cancellationToken = default) =>
        await CreateTrialAsync(propose, cancellationToken).ConfigureAwait(false);

    /// <summary>Queues <paramref name="config"/> under the next unique number, for a worker to claim; returns the number.</summary>
    Task<int> EnqueueAsync(TrialConfig config, CancellationToken cancellationToken = default);

    /// <summary>Claims the lowest-numbered queued trial: it becomes running under a new lease. Null when nothing is queued.</summary>
    Task<TrialLease?> ClaimQueuedAsync(CancellationToken cancellationToken = default);

    /// <summary>Records that the leased trial is still running. False when the lease is no longer valid.</summary>
    Task<bool> HeartbeatAsync(TrialLease lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the metrics of step <paramref name="step"/> (0, 1, ...: a fold, an epoch) of the leased trial; a step
    /// reported again replaces its values. False when the lease is no longer valid.
    /// </summary>
    Task<bool> ReportAsync(TrialLease lease, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default);

    /// <summary>
    /// Finishes the leased trial with <paramref name="trial"/>'s state, score, step metrics and reason. Only the holder of
    /// the current lease can finish a trial: false (and nothing written) when the token is stale or the trial is not running.
    /// </summary>
    Task<bool> FinishAsync(TrialLease lease, StoredTrial trial, CancellationToken cancellationToken = default);

    /// <summary>
    /// True when the store keeps trials' artifacts (<see cref="SaveArtifactAsync"/>): a store shared by workers on many
    /// machines, whose finalizer needs what other workers' trials produced. False by default: one process keeps them in memory.
    /// </summary>
    bool KeepsArtifacts => false;

    /// <summary>
    /// Keeps <paramref name="content"/> (e.g. a trial's validation predictions) as the artifact <paramref name="name"/> of
    /// the leased trial, replacing an earlier one of that name. Only the holder of the current lease can save: false (and
    /// nothing linked to the trial) when the lease is no longer valid. The default keeps nothing and returns false.
    /// </summary>
    Task<bool> SaveArtifactAsync(TrialLease lease, string name, byte[] content, CancellationToken cancellationToken = default) => Task.FromResult(false);

    /// <summary>The artifact <paramref name="name"/> of trial <paramref name="number"/>; null when none was saved (always, by default).</summary>
    Task<byte[]?> LoadArtifactAsync(int number, string name, CancellationToken cancellationToken = default) => Task.FromResult<byte[]?>(null);

    /// <summary>
    /// True when a trial promoted to its next rung (successive halving) is queued for any worker to claim
    /// (<see cref="PromoteAsync"/>) instead of going on in the process that ran its last rung: a store shared by workers.
    /// False by default.
    /// </summary>
    bool QueuesPromotions => false;

    /// <summary>
    /// Queues the leased trial again for its next rung: it keeps the steps it reported (its rungs so far), adds
    /// <paramref name="seconds"/> to its time, and is claimed by whichever worker asks first, whose lease carries those
    /// steps (<see cref="TrialLease.Carried"/>). Only the holder of the current lease can promote: false otherwise (and by
    /// default, where promotions are not queued).
    /// </summary>
    Task<bool> PromoteAsync(TrialLease lease, double seconds, CancellationToken cancellationToken = default) => Task.FromResult(false);

    /// <summary>
    /// Adds a trial that finished elsewhere (Optuna's <c>add_trial</c>): saving a number that exists replaces it, unless
    /// that trial is running under a lease, which is refused with <see cref="InvalidOperationException"/>.
    /// </summary>
    Task SaveTrialAsync(StoredTrial trial, CancellationToken cancellationToken = default);
}

/// <summary>The right to run and finish one trial: its number, what to try, and the token that proves the lease.</summary>
/// <param name="Number">The trial's unique number in its study.</param>
/// <param name="Config">What the trial tries.</param>
/// <param name="Token">The lease token; only it can finish the trial.</param>
public sealed record TrialLease(int Number, TrialConfig Config, string Token)
{
    /// <summary>
    /// For a promoted trial claimed again (<see cref="IStudyStore.PromoteAsync"/>): the steps its earlier rung jobs
    /// reported, which the objective goes on from; empty for a trial that starts from the beginning.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Carried { get; init; } = [];

    /// <summary>Seconds the trial's earlier rung jobs took (0 for a trial that starts from the beginning).</summary>
    public double CarriedSeconds { get; init; }
}

/// <summary>A trial as stored.</summary>
/// <param name="Number">Zero-based trial number.</param>
/// <param name="Config">What was tried.</param>
/// <param name="State">How it ended, or <see cref="TrialState.Running"/> / <see cref="TrialState.Queued"/>.</param>
/// <param name="Score">Mean step loss (null when failed, running or queued).</param>
/// <param name="FoldMetrics">Every metric of every scored fold (step), in order; for a running trial, what it reported so far.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
/// <param name="Reason">Why it failed or was pruned.</param>
/// <param name="FinishedUtc">When it finished (for a running or queued trial: when it was created or queued).</param>
/// <param name="HeartbeatUtc">A running trial's last heartbeat; null otherwise.</param>
public sealed record StoredTrial(int Number, TrialConfig Config, TrialState State, double? Score,
    IReadOnlyList<IReadOnlyDictionary<string, double>> FoldMetrics, double Seconds, string? Reason, DateTimeOffset FinishedUtc,
    DateTimeOffset? HeartbeatUtc = null)
{
    /// <summary>The worker (<c>HOST:PID</c>) that started the trial's last attempt; null when not recorded (a single-process store).</summary>
    public string? Worker { get; init; }

    /// <summary>How many times the trial was started (a trial whose worker died is queued again); 0 when not recorded.</summary>
    public int Attempts { get; init; }

    /// <summary>True when the trial ended (complete, pruned or failed).</summary>
    public bool IsFinished => State is TrialState.Complete or TrialState.Pruned or TrialState.Failed;
}

/// <summary>The argument checks every <see cref="IStudyStore"/> makes before it writes a trial.</summary>
internal static class StoredTrials
{
    /// <summary>Refuses a trial without its configuration or step metrics.</summary>
    public static void Check(StoredTrial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(trial.Config);
        ArgumentNullException.ThrowIfNull(trial.FoldMetrics);
    }

    /// <summary>Refuses to finish a trial that has not ended, or under the lease of another trial.</summary>
    public static void CheckFinishing(TrialLease lease, StoredTrial trial)
    {
        ArgumentNullException.ThrowIfNull(lease);
        Check(trial);
        if (!trial.IsFinished) throw new ArgumentException($"A trial finishes complete, pruned or failed, not {trial.State}.", nameof(trial));
        if (trial.Number != lease.Number) throw new ArgumentException($"The lease is for trial {lease.Number}, not {trial.Number}.", nameof(trial));
    }
}
