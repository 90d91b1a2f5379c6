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

/// <summary>
/// Orders an experiment's trials for every table, chart and sentence of the report: by the score the
/// model was selected on (validation), so that the selected model is first everywhere and the test score
/// is shown beside it, never used to reorder.
/// </summary>
internal static class TrialRanking
{
    /// <summary>
    /// The rule that breaks ties on the ranking score, in words. It is the runner's own rule (a stable sort
    /// in run order; AutoML searches by trial number), so the model ranked first is the model that was saved.
    /// </summary>
    public const string TieRule = "the candidate that ran first (the lower trial number) is kept, as the runner keeps it";

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
    /// (respecting <see cref="ExperimentResult.HigherIsBetter"/>); ties go to <paramref name="selected"/>, then
    /// run order (<see cref="TieRule"/>); ranked 1, 2, ...; then the other trials in run order, unranked.
    /// </summary>
    /// <param name="experiment">The experiment.</param>
    /// <param name="selected">The trial the runner selected, if known: among equal scores it comes first, so
    /// that the page never ranks another model above the one that was saved.</param>
    public static List<RankedTrial> Rank(ExperimentResult experiment, TrialResult? selected = null)
    {
        var basis = Basis(experiment);
        var trials = (experiment.Trials ?? [])
            .Select((t, i) => (Trial: t, Order: t.Number ?? i, Score: Score(t, experiment.PrimaryMetric, basis))).ToList();
        var rankable = trials.Where(t => t.Trial.Status == TrialStatus.Succeeded && t.Score is not null);
        var byScore = experiment.HigherIsBetter ? rankable.OrderByDescending(t => t.Score) : rankable.OrderBy(t => t.Score);
        var ordered = byScore.ThenBy(t => ReferenceEquals(t.Trial, selected) ? 0 : 1).ThenBy(t => t.Order).ToList();
        var ranked = ordered.Select((t, i) => new RankedTrial(i + 1, t.Trial, t.Score, i > 0 && ordered[i - 1].Score == t.Score)).ToList();
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

    private static double? Finite(Dictionary<string, double>? metrics, string metric) =>
        metrics is not null && metrics.TryGetValue(metric, out var value) && double.IsFinite(value) ? value : null;
}
