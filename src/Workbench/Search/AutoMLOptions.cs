using MLWorkbench.Results;
using MLWorkbench.Data;
using MLWorkbench.Tasks;
using MLWorkbench.Models;
using MLWorkbench.AutoML;

namespace MLWorkbench.Search;

/// <summary>
/// Settings of an AutoML search as the command line and suites give them: samplers and pruners by name, the study by
/// path. <see cref="AutoMLSearch"/> turns them into a <see cref="Study"/> and an objective. Every default is documented
/// on its property. A record, so that a copy with a few settings changed (<c>options with { Seed = 2 }</c>) keeps
/// every other one, including settings added later.
/// </summary>
public sealed record AutoMLOptions
{
    /// <summary>The task (default regression).</summary>
    public TaskKind Task { get; init; } = TaskKind.Regression;

    /// <summary>The column to predict.</summary>
    public required string Label { get; init; }

    /// <summary>
    /// Cross-validation folds, the same for every trial (1 means one 80/20 holdout, stratified for classification). Null,
    /// the default, chooses by size: 5 folds up to <see cref="HoldoutAboveRows"/> training rows, one holdout above, where
    /// five fits of tens of thousands of rows cost five times the time for little gain in the estimate.
    /// </summary>
    public int? Folds { get; init; }

    /// <summary>
    /// Above this many training rows an unset <see cref="Folds"/> means one holdout (15,000, the threshold ML.NET's own
    /// AutoML uses to switch from cross-validation to a train/validation split).
    /// </summary>
    public int HoldoutAboveRows { get; init; } = 15_000;

    /// <summary>
    /// Successive halving over rows in a holdout search (one fold): a sampled trial is fitted on a ninth, then a third,
    /// then all of the holdout's training rows, and only the best third of its trainer's trials at each rung go on, but
    /// no rung has fewer rows than this (default 1,000; a rung below it is left out, and a table whose training rows
    /// leave only the full rung is searched without it). Portfolio configurations always fit on all rows.
    /// </summary>
    public int RowRungMinRows { get; init; } = DefaultRowRungMinRows;

    /// <summary>The default of <see cref="RowRungMinRows"/>: 1,000 rows.</summary>
    public const int DefaultRowRungMinRows = 1_000;

    /// <summary>The folds a search over <paramref name="trainRows"/> training rows uses.</summary>
    internal int FoldsFor(int trainRows) => Folds ?? (trainRows > HoldoutAboveRows ? 1 : 5);

    /// <summary>The sampler: <c>random</c>, <c>grid</c>, <c>cfo</c> or <c>tpe</c> (default <see cref="DefaultTuner"/>).</summary>
    public string Tuner { get; init; } = DefaultTuner;

    /// <summary>
    /// The tuner the benchmark in benchmarks/RESULTS.md ranked best (TPE: mean rank 2.00 by cross-validation over
    /// ames, breast cancer and wine, tied with grid; CFO came last on every data set).
    /// </summary>
    public const string DefaultTuner = "tpe";

    /// <summary><c>median</c> (default) stops trials whose first folds are worse than the median; <c>none</c> never stops them.</summary>
    public string Pruner { get; init; } = "median";

    /// <summary>Seconds the search may take (default 60); no new trial starts after it. Null: only <see cref="MaxTrials"/> limits.</summary>
    public double? BudgetSeconds { get; init; } = 60;

    /// <summary>At most this many trials (default: no limit).</summary>
    public int? MaxTrials { get; init; }

    /// <summary>Seed of the folds, the sampler and every trial (default 42).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Trials run at once (default 1), each with its own MLContext.</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>Device of TorchSharp trainers (default auto).</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;

    /// <summary>Number format TorchSharp trainers train in (auto: mixed precision on CUDA, fp32 on the CPU).</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Auto;

    /// <summary>Trainer names to search (default: every trainer of the task).</summary>
    public IReadOnlyList<string> Trainers { get; init; } = [];

    /// <summary>The SQLite file that keeps trials for resuming (default: none, nothing is kept).</summary>
    public string? StudyPath { get; init; }

    /// <summary>The study's name inside the file (default <c>study</c>).</summary>
    public string StudyName { get; init; } = "study";

    /// <summary>
    /// A PostgreSQL study store shared by many workers: an Npgsql connection string or a <c>postgresql://</c> URI
    /// (default none: the SQLite file of <see cref="StudyPath"/>). When set, it is used instead of that file.
    /// </summary>
    public string? Storage { get; init; }

    /// <summary>
    /// How to rebuild this search (e.g. its command line), recorded in a shared study so that <c>mlwb worker</c> can
    /// join it with only the connection string and the study's name (default none).
    /// </summary>
    public string? StudySpec { get; init; }

    /// <summary>
    /// The data files a shared study (<see cref="Storage"/>) keeps in its database when it is created, by the option that
    /// names each (e.g. <c>--train</c> → a file or a folder), so that workers need only the connection string (default
    /// none: workers read the data at the paths of <see cref="StudySpec"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string>? StudyFiles { get; init; }

    /// <summary>
    /// True to create a shared study (record its settings and data, queue its starting points) without running a trial
    /// here (default false): <c>mlwb worker</c> processes run it and one of them finalizes it.
    /// </summary>
    public bool CreateOnly { get; init; }

    /// <summary>
    /// True for a worker that joins a shared study (default false): it runs the study's trials until its budget or trial
    /// limit, then stops without the final refit, which the study's creator does.
    /// </summary>
    public bool JoinOnly { get; init; }

    /// <summary>
    /// For a study in a shared store (<see cref="Storage"/>): writes the finished study's result (results file, report)
    /// and returns the JSON to keep in the study row, for <c>mlwb report --storage</c>. Exactly one process of all that
    /// work on the study, creator or worker, calls it, once no trial runs (default none: nobody finalizes the study).
    /// </summary>
    public Func<ExperimentResult, CancellationToken, Task<string>>? Publish { get; init; }

    /// <summary>Column kinds set by the user, overriding inference (<see cref="ColumnKind.Ignored"/> drops a column).</summary>
    public IReadOnlyDictionary<string, ColumnKind>? ColumnRoles { get; init; }

    /// <summary>
    /// Where the final model is saved as a <c>.mlwb</c> bundle (default: none, nothing is saved); load it with
    /// <see cref="Serving.WorkbenchModel.Load"/> or <c>mlwb predict</c>.
    /// </summary>
    public string? ModelPath { get; init; }

    /// <summary>The longest one trial may take, as a share of the budget (default 0.5); longer trials fail.</summary>
    public double TrialTimeShare { get; init; } = 0.5;

    /// <summary>
    /// The clock successive halving reads to decide whether a trial's next rung fits in its share (default: the system
    /// clock). Tests pass a clock they advance themselves, so that the decision does not depend on how busy the machine is.
    /// </summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Train the winner again after the search, before the test score and the saved model (default true): a tabular
    /// winner on every training row; an image, text or pair winner on the training and validation examples, networks for
    /// the epochs it was selected at. False (<c>--no-refit</c>) keeps the model as it was trained in the search (tabular:
    /// the holdout's training rows, or its first fold's).
    /// </summary>
    public bool Refit { get; init; } = true;
}
