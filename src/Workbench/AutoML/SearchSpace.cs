namespace MLWorkbench.AutoML;

/// <summary>The range of one hyperparameter.</summary>
/// <param name="Name">The hyperparameter's name, as the candidate reads it (e.g. <c>learningRate</c>).</param>
public abstract record ParameterDomain(string Name);

/// <summary>A real number in [<paramref name="Low"/>, <paramref name="High"/>]; sampled on a log scale when <paramref name="Log"/>.</summary>
/// <param name="Name">The hyperparameter's name.</param>
/// <param name="Low">The smallest value.</param>
/// <param name="High">The largest value.</param>
/// <param name="Log">True to sample uniformly in the logarithm (for rates and regularisation strengths).</param>
public sealed record FloatDomain(string Name, double Low, double High, bool Log = false) : ParameterDomain(Name);

/// <summary>A whole number in [<paramref name="Low"/>, <paramref name="High"/>]; sampled on a log scale when <paramref name="Log"/>.</summary>
/// <param name="Name">The hyperparameter's name.</param>
/// <param name="Low">The smallest value.</param>
/// <param name="High">The largest value.</param>
/// <param name="Log">True to sample uniformly in the logarithm (for counts such as trees or leaves).</param>
public sealed record IntDomain(string Name, int Low, int High, bool Log = false) : ParameterDomain(Name);

/// <summary>One of a fixed set of values.</summary>
/// <param name="Name">The hyperparameter's name.</param>
/// <param name="Choices">The values it may take.</param>
public sealed record ChoiceDomain(string Name, IReadOnlyList<string> Choices) : ParameterDomain(Name);

/// <summary>
/// The hyperparameters of one trainer, declared where the trainer is defined, with a low-cost starting point
/// (<see cref="Initial"/>: e.g. few trees, few epochs) that cost-frugal search starts from.
/// </summary>
/// <param name="Trainer">The candidate's name, e.g. <c>lightgbm</c>.</param>
/// <param name="Parameters">Its tunable hyperparameters.</param>
/// <param name="Initial">A cheap, reasonable configuration: one value per parameter.</param>
/// <param name="RelativeCost">Rough cost of one fit at <see cref="Initial"/> relative to the cheapest trainer (1 = cheapest).</param>
public sealed record SearchSpace(string Trainer, IReadOnlyList<ParameterDomain> Parameters,
    IReadOnlyDictionary<string, object> Initial, double RelativeCost = 1);

/// <summary>Trainer choice and hyperparameters, searched together.</summary>
/// <param name="Trainers">One space per trainer that may be chosen.</param>
public sealed record JointSearchSpace(IReadOnlyList<SearchSpace> Trainers)
{
    /// <summary>The space of the trainer called <paramref name="trainer"/>.</summary>
    public SearchSpace For(string trainer) => Trainers.First(t => t.Trainer == trainer);
}

/// <summary>
/// One point of a <see cref="JointSearchSpace"/>: a trainer and a value for each of its parameters
/// (<see cref="double"/> for floats, <see cref="int"/> for integers, <see cref="string"/> for choices).
/// </summary>
/// <param name="Trainer">The chosen trainer's name.</param>
/// <param name="Parameters">A value for each of its hyperparameters, by name.</param>
public sealed record TrialConfig(string Trainer, IReadOnlyDictionary<string, object> Parameters)
{
    /// <summary>A stable text form, used to recognise a configuration that was already tried.</summary>
    public string Key => Trainer + "{" + string.Join(",", Parameters.OrderBy(p => p.Key, StringComparer.Ordinal)
        .Select(p => p.Key + "=" + (p.Value is double d ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : p.Value.ToString()))) + "}";
}

/// <summary>How a trial ended.</summary>
public enum TrialState
{
    /// <summary>Every fold was scored.</summary>
    Complete,
    /// <summary>Stopped after some folds because it could not win.</summary>
    Pruned,
    /// <summary>The trainer threw or ran out of its share of the budget.</summary>
    Failed,
    /// <summary>Running under a lease (samplers see it, so that they do not propose it again).</summary>
    Running,
    /// <summary>Queued for a worker to claim (Optuna's waiting trial).</summary>
    Queued,
}

/// <summary>
/// A finished trial as samplers and pruners see it. <see cref="Score"/> is a loss (lower is better): the mean
/// over folds of the primary metric, negated where higher is better.
/// </summary>
/// <param name="Number">Zero-based trial number in the study.</param>
/// <param name="Config">What was tried.</param>
/// <param name="State">How it ended.</param>
/// <param name="Score">Mean fold loss; null when failed.</param>
/// <param name="FoldScores">Loss per fold scored (fewer than the folds when pruned).</param>
/// <param name="Seconds">The trial's cost in seconds-like units. A study passes a deterministic estimate
/// (<see cref="SearchSpace.RelativeCost"/> × folds scored), not wall-clock time, so that cost-aware samplers
/// propose the same sequence on every run.</param>
public sealed record TrialOutcome(int Number, TrialConfig Config, TrialState State, double? Score,
    IReadOnlyList<double> FoldScores, double Seconds);

/// <summary>
/// Proposes the next configuration to try from what has been tried (Optuna's sampler; ML.NET AutoML's tuner).
/// Implementations must be deterministic given the history and the random source, so that a study with the
/// same seed proposes the same sequence, and a resumed study continues where it stopped.
/// </summary>
public interface ISampler
{
    /// <summary>Name used in options and results, e.g. <c>random</c>, <c>grid</c>, <c>cfo</c>, <c>tpe</c>.</summary>
    string Name { get; }

    /// <summary>Proposes one configuration. <paramref name="history"/> is in trial-number order.</summary>
    TrialConfig Propose(JointSearchSpace space, IReadOnlyList<TrialOutcome> history, Random random);
}

/// <summary>Decides after each fold whether a running trial can still win (Optuna's pruner).</summary>
public interface IPruner
{
    /// <summary>Name used in options, results and the study fingerprint, e.g. <c>median</c>, <c>none</c>; settings that change decisions are part of it.</summary>
    string Name { get; }

    /// <summary>
    /// True to stop the trial now. <paramref name="foldScores"/> holds the running trial's fold losses so far
    /// (at least one); <paramref name="history"/> the finished trials.
    /// </summary>
    bool ShouldPrune(IReadOnlyList<double> foldScores, IReadOnlyList<TrialOutcome> history);
}
