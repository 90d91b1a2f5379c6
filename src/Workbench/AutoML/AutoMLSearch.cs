using MLWorkbench.Data;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.AutoML;

/// <summary>
/// The edge where <see cref="AutoMLOptions"/>' names become objects: the tuner's name a sampler, the pruner's name a
/// pruner, the study path a <see cref="SqliteStudyStore"/> (in memory when there is none), the limits
/// <see cref="StudySettings"/>. The command line, suites and benchmarks prepare searches here; a library user who wants
/// their own sampler, pruner or store makes a <see cref="Study"/> with them and runs the same objective.
/// </summary>
public sealed class AutoMLSearch
{
    private readonly AutoMLOptions _options;
    private readonly ISampler _sampler;
    private readonly IPruner _pruner;

    private AutoMLSearch(ISearchObjective objective, AutoMLOptions options, ISampler sampler, IPruner pruner)
    {
        (Objective, _options, _sampler, _pruner) = (objective, options, sampler, pruner);
    }

    /// <summary>What the search optimizes.</summary>
    public ISearchObjective Objective { get; }

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
        IReadOnlyList<TrainerDefinition<TData>> trainers, Func<TData, IReadOnlyList<int>, TData> subset, AutoMLOptions options) where TData : ILabelledData
    {
        var (sampler, pruner) = Check(options);
        if (options.Parallel != 1)
            throw new WorkbenchInputException($"--parallel {options.Parallel} is not supported for {task.ToName()}: its networks use every core, so trials run one at a time.");
        return new(HoldoutObjective<TData>.Prepare(identity, task, train, validation, test, trainers, subset, options), options, sampler, pruner);
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
    /// Opens the study store (the SQLite file of <see cref="AutoMLOptions.StudyPath"/>, or memory), runs the study and
    /// finishes its best trial; the store is closed (and its lock released) when the search ends.
    /// </summary>
    public async Task<ExperimentResult> RunAsync(IProgress<TrialProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var store = _options.StudyPath is { } path ? new SqliteStudyStore(path) : SqliteStudyStore.InMemory();
        return await new Study(store, _sampler, _pruner, Settings(_options)).RunAsync(Objective, progress, cancellationToken).ConfigureAwait(false);
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
