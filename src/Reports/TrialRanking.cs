using MLWorkbench.Results;

namespace MLWorkbench.Reports;

/// <summary>A trial and its place on the leaderboard; <see cref="Rank"/> is null for unranked trials.</summary>
/// <param name="Rank">1 for the best, null for trials without a score (failed, skipped, pruned).</param>
/// <param name="Trial">The trial.</param>
/// <param name="Score">The primary metric the ranking used (see <see cref="RankBasis"/>), when finite.</param>
/// <param name="Tied">True when the trial has the same ranking score as the one ranked just above it.</param>
internal sealed record RankedTrial(int? Rank, TrialResult Trial, double? Score, bool Tied = false);

/// <summary>Which scores a leaderboard ranks by.</summary>
internal enum RankBasis
{
    /// <summary>The validation score (the fold mean in an AutoML search): the one the model was selected by.</summary>
    Validation,
    /// <summary>The test rows: only for files whose trials hold no validation score at all.</summary>
    Test,
}

/// <summary>How an experiment broke ties on its selection score, which the page states and orders by.</summary>
internal enum TieBreak
{
    /// <summary>A comparison written with schema 1.4 or later: <see cref="SelectionRule"/> (ties at 4 significant digits go to the faster, then smaller model).</summary>
    Rule,
    /// <summary>A comparison written before schema 1.4: the runner kept the first in run order among equal scores.</summary>
    RunOrder,
    /// <summary>An AutoML search: equal scores go to the lower validation log-loss (image and text searches), then the lower trial number.</summary>
    Search,
}

/// <summary>
/// Orders an experiment's trials for every table, chart and sentence of the report: by the score the
/// model was selected on (validation), so that the selected model is first everywhere and the test score
/// is shown beside it, never used to reorder; ties as the runner broke them (<see cref="TieBreak"/>).
/// </summary>
internal static class TrialRanking
{
    /// <summary>How <paramref name="experiment"/>, read from a file of <paramref name="schemaVersion"/>, broke ties.</summary>
    public static TieBreak TieBreakOf(ExperimentResult experiment, string? schemaVersion) =>
        experiment.AutoML is not null ? TieBreak.Search
        : Version.TryParse(schemaVersion, out var v) && v < new Version(1, 4) ? TieBreak.RunOrder
        : TieBreak.Rule;

    /// <summary>The rule that breaks ties, in words, as the page states it.</summary>
    public static string TieRule(ExperimentResult experiment, TieBreak tieBreak) => tieBreak switch
    {
        TieBreak.Rule => SelectionRule.TieText,
        TieBreak.Search => UsesLogLoss(experiment)
            ? "equal scores go to the lower validation log-loss, then the lower trial number, as the search keeps them"
            : "equal scores go to the lower trial number, as the search keeps them",
        _ => "equal scores go to the candidate that ran first, as the runner kept it (results before schema 1.4 record no other tie rule)",
    };

    /// <summary>True when <paramref name="first"/> and <paramref name="second"/> count as a tie under <paramref name="tieBreak"/>.</summary>
    public static bool Tied(double first, double second, TieBreak tieBreak) =>
        tieBreak == TieBreak.Rule ? SelectionRule.Tied(first, second) : first == second;

    /// <summary>
    /// Validation when any succeeded trial has a finite validation primary metric (the runner selects on
    /// it), else test (results written without validation scores).
    /// </summary>
    public static RankBasis Basis(ExperimentResult experiment) =>
        (experiment.Trials ?? []).Any(t => t.Status == TrialStatus.Succeeded && Finite(t.Metrics?.Validation, experiment.PrimaryMetric) is not null)
            ? RankBasis.Validation
            : RankBasis.Test;

    /// <summary>
    /// Succeeded trials with a finite primary metric on the <see cref="Basis"/> first, best first
    /// (respecting <see cref="ExperimentResult.HigherIsBetter"/>), ties broken by <paramref name="tieBreak"/>;
    /// ranked 1, 2, ...; then the other trials in run order, unranked.
    /// </summary>
    /// <param name="experiment">The experiment.</param>
    /// <param name="selected">The trial the runner selected, if known: among tied scores it comes first, so
    /// that the page never ranks another model above the one that was saved.</param>
    /// <param name="tieBreak">How the runner broke ties.</param>
    public static List<RankedTrial> Rank(ExperimentResult experiment, TrialResult? selected = null, TieBreak tieBreak = TieBreak.RunOrder)
    {
        var basis = Basis(experiment);
        if (basis == RankBasis.Test) tieBreak = TieBreak.RunOrder;
        var trials = (experiment.Trials ?? [])
            .Select((t, i) => (Trial: t, Order: t.Number ?? i, Score: Score(t, experiment.PrimaryMetric, basis))).ToList();
        var rankable = trials.Where(t => t.Trial.Status == TrialStatus.Succeeded && t.Score is not null).ToList();
        // Scores as the rule compares them: rounded to 4 significant digits under the selection rule, exact otherwise.
        double Key(double? score) => tieBreak == TieBreak.Rule ? SelectionRule.Rounded(score!.Value) : score!.Value;
        var byScore = experiment.HigherIsBetter ? rankable.OrderByDescending(t => Key(t.Score)) : rankable.OrderBy(t => Key(t.Score));
        var ordered = (tieBreak switch
        {
            TieBreak.Rule => byScore.ThenBy(t => t.Trial.TrainSeconds).ThenBy(t => Latency(t.Trial)).ThenBy(t => t.Trial.ModelBytes ?? long.MaxValue)
                .ThenBy(t => ReferenceEquals(t.Trial, selected) ? 0 : 1),
            TieBreak.Search when UsesLogLoss(experiment) => byScore.ThenBy(t => ReferenceEquals(t.Trial, selected) ? 0 : 1)
                .ThenBy(t => Finite(t.Trial.Metrics?.Validation, "logLoss") ?? 0),
            _ => byScore.ThenBy(t => ReferenceEquals(t.Trial, selected) ? 0 : 1),
        }).ThenBy(t => t.Order).ToList();
        var ranked = ordered.Select((t, i) => new RankedTrial(i + 1, t.Trial, t.Score, i > 0 && Tied(ordered[i - 1].Score!.Value, t.Score!.Value, tieBreak))).ToList();
        var rest = trials.Where(t => !ranked.Any(r => ReferenceEquals(r.Trial, t.Trial)))
            .Select(t => new RankedTrial(null, t.Trial, t.Score));
        return [.. ranked, .. rest];
    }

    /// <summary>The trial's finite score for <paramref name="metric"/> on <paramref name="basis"/>, or null.</summary>
    public static double? Score(TrialResult trial, string metric, RankBasis basis) =>
        basis == RankBasis.Test ? TestPrimary(trial, metric) : ValidationPrimary(trial, metric);

    /// <summary>The trial's finite test score for <paramref name="metric"/>, or null.</summary>
    public static double? TestPrimary(TrialResult trial, string metric) => Finite(trial.Metrics?.Test, metric);

    /// <summary>The trial's finite validation score for <paramref name="metric"/>, or null.</summary>
    public static double? ValidationPrimary(TrialResult trial, string metric) => Finite(trial.Metrics?.Validation, metric);

    /// <summary>How the report names a trial: the candidate, with the AutoML trial number when there is one.</summary>
    public static string Name(TrialResult trial) =>
        trial.Number is { } n ? $"{trial.Candidate} #{n}" : trial.Candidate;

    // Image and text searches (one validation split) break ties on the validation log-loss; tabular and pair searches do not.
    private static bool UsesLogLoss(ExperimentResult experiment) => experiment.Task is "image-classification" or "text-classification";

    // As SelectionRule orders it: not measured sorts after any measured latency.
    private static double Latency(TrialResult trial) =>
        trial.PredictMicrosecondsPerRow > 0 && double.IsFinite(trial.PredictMicrosecondsPerRow) ? trial.PredictMicrosecondsPerRow : double.PositiveInfinity;

    private static double? Finite(Dictionary<string, double>? metrics, string metric) =>
        metrics is not null && metrics.TryGetValue(metric, out var value) && double.IsFinite(value) ? value : null;
}
