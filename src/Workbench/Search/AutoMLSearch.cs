using MLWorkbench.Data;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.AutoML;

namespace MLWorkbench.Search;

/// <summary>
/// The edge where <see cref="AutoMLOptions"/>' names become objects: the tuner's name a sampler, the pruner's name a
/// pruner, the storage a <see cref="PostgresStudyStore"/> or the study path a <see cref="SqliteStudyStore"/> (in memory when there is none), the limits
/// <see cref="StudySettings"/>. The command line, suites and benchmarks prepare searches here; a library user who wants
/// their own sampler, pruner or store makes a <see cref="Study"/> with them and runs the same objective.
/// </summary>
internal sealed class AutoMLSearch
{
    private readonly AutoMLOptions _options;
    private readonly ISampler _sampler;
    private readonly IPruner _pruner;

    private AutoMLSearch(ISearchObjective objective, AutoMLOptions options, ISampler sampler, IPruner pruner)
    {
        (Objective, _options, _sampler, _pruner) = (objective, options, sampler, pruner);
    }

    /// <summary>What the search optimizes.</summary>
    internal ISearchObjective Objective { get; }

    /// <summary>
    /// Prepares a search over tabular data (see <see cref="TabularObjective.Prepare"/>): every option is checked and the
    /// folds are computed before anything trains or is written.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The options or the data are wrong.</exception>
    public static AutoMLSearch Tabular(string name, TabularData data, IReadOnlyList<int> trainRows, TabularData? testData, IReadOnlyList<int>? testRows,
        AutoMLOptions options)
    {
        var (sampler, pruner) = Check(options);
        return new(TabularObjective.Prepare(name, data, trainRows, testData, testRows, options), options, sampler, pruner);
    }

    /// <summary>Prepares a search over examples on one holdout split (see <see cref="HoldoutObjective{TData}.Prepare"/>).</summary>
    /// <exception cref="WorkbenchInputException">The options are wrong or there are too few training examples.</exception>
    public static AutoMLSearch Holdout<TData>(ExperimentResult identity, TaskKind task, TData train, TData validation, TData? test,
        IReadOnlyList<TrainerDefinition<TData>> trainers, Func<TData, IReadOnlyList<int>, TData> subset, AutoMLOptions options,
        Func<TData, TData, TData>? concat = null, IReadOnlyCollection<string>? portfolio = null) where TData : ILabelledData
    {
        var (sampler, pruner) = Check(options);
        if (options.Parallel != 1)
            throw new WorkbenchInputException($"--parallel {options.Parallel} is not supported for {task.ToName()}: its networks use every core, so trials run one at a time.");
        return new(HoldoutObjective<TData>.Prepare(identity, task, train, validation, test, trainers, subset, options, concat, portfolio), options, sampler, pruner);
    }

    /// <summary>The study's limits and settings from <paramref name="options"/>.</summary>
    public static StudySettings Settings(AutoMLOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new()
        {
            Name = options.StudyName, MaxTrials = options.MaxTrials, BudgetSeconds = options.BudgetSeconds, Seed = options.Seed,
            Parallel = options.Parallel, TrialTimeShare = options.TrialTimeShare,
        };
    }

    /// <summary>
    /// Opens the study store (the PostgreSQL database of <see cref="AutoMLOptions.Storage"/>, the SQLite file of
    /// <see cref="AutoMLOptions.StudyPath"/>, or memory), runs the study and finishes its best trial; the store is closed
    /// (and a SQLite file's lock released) when the search ends. With <see cref="AutoMLOptions.JoinOnly"/> it runs trials
    /// of the existing study (waiting until its creator has queued the starting points). In a shared store with
    /// <see cref="AutoMLOptions.Publish"/>, creator and workers alike then take part in finalizing the study: the one that
    /// claims the job returns the refit result of the whole study (after publishing it); the others return the trials
    /// they know, without the final refit.
    /// </summary>
    public async Task<ExperimentResult> RunAsync(IProgress<TrialProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var store = OpenStore(_options);
        var study = new Study(store, _sampler, _pruner, Settings(_options));
        if (!_options.JoinOnly)
        {
            if (store is PostgresStudyStore creating && _options.StudySpec is { } spec)
            {
                await creating.OpenAsync(study.Settings.Name, study.Fingerprint(Objective), cancellationToken).ConfigureAwait(false);
                // The data goes in before the spec: a worker that sees the spec finds the data there too.
                if (_options.StudyFiles is { Count: > 0 } files) await creating.StoreDataAsync(files, cancellationToken).ConfigureAwait(false);
                if (_options.CreateOnly)
                {
                    // The starting points are queued before the spec too: workers wait for the spec, then claim them.
                    var queued = (await creating.LoadTrialsAsync(cancellationToken).ConfigureAwait(false)).Count;
                    for (var i = queued; i < Objective.StartingPoints.Count; i++)
                        await creating.EnqueueAsync(Objective.StartingPoints[i], cancellationToken).ConfigureAwait(false);
                }
                await creating.SetSpecAsync(spec, cancellationToken).ConfigureAwait(false);
                if (_options.CreateOnly)
                {
                    var created = Objective.NewResult();
                    created.AutoML = new AutoMLInfo
                    {
                        Tuner = _sampler.Name, Pruner = _pruner.Name, StudyPath = store.Location, StopReason = "created", StartingTrials = Objective.StartingPoints.Count,
                    };
                    return created;
                }
            }
            if (store is not PostgresStudyStore) return await study.RunAsync(Objective, progress, cancellationToken).ConfigureAwait(false);
        }
        else await WaitForStartingPointsAsync(store, study, cancellationToken).ConfigureAwait(false);

        var run = await study.OptimizeAsync(Objective, progress, cancellationToken).ConfigureAwait(false);
        // A shared study is finished by one process, creator or worker, once no trial runs: see FinalizeSharedAsync.
        if (store is PostgresStudyStore shared && _options.Publish is { } publish)
        {
            if (run.StopReason != "interrupted" && await FinalizeSharedAsync(shared, study, publish, cancellationToken).ConfigureAwait(false) is { } finalized)
                return finalized;
        }
        // Without a publisher (a library caller), the creator refits what it saw, as it did before shared finalizing.
        else if (!_options.JoinOnly) return await study.FinishAsync(Objective, run).ConfigureAwait(false);
        var result = Objective.NewResult();
        result.Trials.AddRange(run.Trials.Select(t => Study.WithWorker(Objective.Describe(t.Trial, t.FinishedAtSeconds), t.Trial)));
        result.AutoML = new AutoMLInfo
        {
            Tuner = _sampler.Name, Pruner = _pruner.Name, BudgetSeconds = _options.BudgetSeconds, Folds = Objective.Folds, Parallel = _options.Parallel,
            StudyPath = store.Location, ResumedTrials = run.Resumed, StopReason = run.StopReason, SpentBeforeSeconds = run.SpentBeforeSeconds,
            SearchSeconds = run.SearchSeconds,
        };
        return result;
    }

    /// <summary>
    /// Claims the shared study's finalize job (<see cref="PostgresStudyStore.FinalizeAsync"/>) and, when this process gets
    /// it, refits the best of every finished trial of the study (whichever worker ran it) and hands the result to
    /// <paramref name="publish"/>, which writes it and returns its JSON for the study row. Returns that result, or null when
    /// another process finalized the study. Ctrl+C while waiting for the others' trials leaves the job to them.
    /// </summary>
    private async Task<ExperimentResult?> FinalizeSharedAsync(PostgresStudyStore store, Study study,
        Func<ExperimentResult, CancellationToken, Task<string>> publish, CancellationToken cancellationToken)
    {
        ExperimentResult? finished = null;
        bool mine;
        try
        {
            mine = await store.FinalizeWithOutputsAsync(async lost =>
            {
                // Trials other workers finished after this one stopped count too: the whole study is read again.
                var all = await store.LoadTrialsAsync(lost).ConfigureAwait(false);
                var seconds = 0.0;
                // A trial promoted to a rung that nobody ran before the study ended (its budget was spent) counts at the
                // rung it reached, as a trial whose next rung would not fit in its seconds does.
                var trials = all.Select(t => t.State == TrialState.Queued && t.FoldMetrics.Count > 0
                        ? t with { State = TrialState.Complete, Score = t.FoldMetrics.Average(Objective.Loss), Reason = $"{t.Reason}, but the study ended before its next rung ran" }
                        : t)
                    .Where(t => t.IsFinished && (study.Settings.MaxTrials is not { } cap || t.Number < cap))
                    .Select(t => (t, seconds += t.Seconds)).ToArray();
                var spent = await store.GetSpentSecondsAsync(lost).ConfigureAwait(false);
                var stop = study.Settings.MaxTrials is { } max && trials.Length >= max ? "trials" : "budget";
                finished = await study.FinishAsync(Objective, new StudyRun(trials, 0, stop, spent)).ConfigureAwait(false);
                lost.ThrowIfCancellationRequested();
                // The model goes into the database with the results: a finalizer's output folder need not be shared.
                return (await publish(finished, lost).ConfigureAwait(false), finished.AutoML?.ModelPath is { } model ? [model] : []);
            }, study.Settings.HeartbeatInterval, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        // A finalizer that lost its claim before storing its results leaves the study to the one that took it over.
        return mine ? finished : null;
    }

    /// <summary>The store <paramref name="options"/> name: PostgreSQL when <see cref="AutoMLOptions.Storage"/> is set, else SQLite (a file or memory).</summary>
    public static IStudyStore OpenStore(AutoMLOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Storage is { } storage) return new PostgresStudyStore(storage);
        if (options.JoinOnly) throw new WorkbenchInputException("A worker joins a study in a PostgreSQL store: give --storage a connection string or postgresql:// URI.");
        return options.StudyPath is { } path ? new SqliteStudyStore(path) : SqliteStudyStore.InMemory();
    }

    /// <summary>
    /// A worker that starts while the creator is still queueing the objective's starting points would queue them again:
    /// it waits (up to a minute) until they are all in the store.
    /// </summary>
    private async Task WaitForStartingPointsAsync(IStudyStore store, Study study, CancellationToken cancellationToken)
    {
        await store.OpenAsync(study.Settings.Name, study.Fingerprint(Objective), cancellationToken).ConfigureAwait(false);
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while ((await store.LoadTrialsAsync(cancellationToken).ConfigureAwait(false)).Count < Objective.StartingPoints.Count)
        {
            if (DateTime.UtcNow > deadline)
                throw new WorkbenchInputException($"The study '{study.Settings.Name}' in {store.Location} has not queued its {Objective.StartingPoints.Count} starting points " +
                    "within a minute: is its creator (mlwb automl ... --storage) still running?");
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
        }
    }

    private static (ISampler Sampler, IPruner Pruner) Check(AutoMLOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Parallel < 1) throw new WorkbenchInputException($"--parallel must be at least 1, not {options.Parallel}.");
        if (options.BudgetSeconds is <= 0) throw new WorkbenchInputException($"The budget must be a positive number of seconds, not {options.BudgetSeconds}.");
        if (options.MaxTrials is < 1) throw new WorkbenchInputException($"The number of trials must be at least 1, not {options.MaxTrials}.");
        if (options.BudgetSeconds is null && options.MaxTrials is null) throw new WorkbenchInputException("Give a time budget, a number of trials, or both.");
        return (Samplers.Create(options.Tuner), Pruners.Create(options.Pruner));
    }
}
