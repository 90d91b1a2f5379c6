using MLWorkbench.Results;

namespace MLWorkbench.AutoML;

/// <summary>
/// What a <see cref="Study"/> optimizes (Optuna's objective): the search space, where to start, and how one trial is
/// scored. A trial reports its steps (folds, or one holdout split) through <see cref="Trial.ReportAsync"/> and asks
/// <see cref="Trial.ShouldPrune"/> between them; the study turns the reported steps into the trial's score.
/// </summary>
public interface IObjective
{
    /// <summary>The experiment's name, shown in progress.</summary>
    string Name { get; }

    /// <summary>Trainers and their hyperparameters, searched together.</summary>
    JointSearchSpace Space { get; }

    /// <summary>Configurations queued before the sampler's first proposal, in order (Optuna's <c>enqueue_trial</c>); may be empty.</summary>
    IReadOnlyList<TrialConfig> StartingPoints { get; }

    /// <summary>Every objective setting that changes results, as <c>key=value; key=value</c> (the study adds its sampler, pruner and seed).</summary>
    string Fingerprint { get; }

    /// <summary>The loss (lower is better) of one step's metrics.</summary>
    double Loss(IReadOnlyDictionary<string, double> metrics);

    /// <summary>Among trials with the same score, the lower value wins (then the lower number).</summary>
    double TieBreak(StoredTrial trial);

    /// <summary>
    /// Trains and scores one trial. Throwing fails the trial (its reason is the exception's message); cancellation by
    /// <paramref name="cancellationToken"/> beyond the caller's fails it as over its share of the budget.
    /// </summary>
    Task<TrialEvaluation> EvaluateAsync(Trial trial, CancellationToken cancellationToken);
}

/// <summary>
/// An objective whose search ends in an experiment result: how a trial reads in results, and how the winner is
/// finished (refitted, scored once on the test rows, saved).
/// </summary>
internal interface ISearchObjective : IObjective
{
    /// <summary>Validation folds each trial scores (1: one holdout split).</summary>
    int Folds { get; }

    /// <summary>A result with the experiment's identity (name, task, dataset, split) and no trials yet.</summary>
    ExperimentResult NewResult();

    /// <summary>A stored trial as results show it; <paramref name="finishedAtSeconds"/> is its time since the study started.</summary>
    TrialResult Describe(StoredTrial trial, double finishedAtSeconds);

    /// <summary>
    /// Takes from <paramref name="store"/> what finishing needs of <paramref name="trials"/> that other processes ran (a
    /// store shared by workers keeps their artifacts), before <see cref="FinishAsync"/>.
    /// </summary>
    Task AdoptAsync(IReadOnlyList<StoredTrial> trials, IStudyStore store, CancellationToken cancellationToken);

    /// <summary>Finishes the search with its best trial (null: none succeeded), filling <paramref name="result"/>'s final model.</summary>
    Task<TrialResult?> FinishAsync(StoredTrial? best, ExperimentResult result);
}

/// <summary>How an objective ended a trial; its score comes from the steps it reported.</summary>
/// <param name="State">Complete, pruned or failed.</param>
/// <param name="Reason">Why it was pruned or failed.</param>
public sealed record TrialEvaluation(TrialState State, string? Reason = null)
{
    /// <summary>
    /// True when the trial earned its next rung (successive halving) and is queued for it in a store that queues
    /// promotions (<see cref="Trial.QueuesPromotions"/>): it has not ended, and any worker runs the next rung.
    /// </summary>
    public bool Promoted { get; init; }

    /// <summary>The trial goes on at its next rung in whichever worker claims it (see <see cref="Promoted"/>).</summary>
    public static TrialEvaluation Promote(string why) => new(TrialState.Running, why) { Promoted = true };

    /// <summary>Every step was scored.</summary>
    public static TrialEvaluation Complete { get; } = new(TrialState.Complete);

    /// <summary>
    /// The objective did not start the trial because it predicts the trial cannot finish in the seconds it was
    /// allowed; after a few such trials in a row the study stops, its budget as good as spent.
    /// </summary>
    public static TrialEvaluation NotStarted(string why) => new(TrialState.Failed, Study.NotStartedPrefix + why);
}
