using MLWorkbench.Results;

namespace MLWorkbench.Reports;

/// <summary>A trial and its place on the leaderboard; <see cref="Rank"/> is null for unranked trials.</summary>
/// <param name="Rank">1 for the best, null for trials without a score (failed, skipped, pruned).</param>
/// <param name="Trial">The trial.</param>
/// <param name="Score">The primary metric the ranking used (see <see cref="RankBasis"/>), when finite.</param>
internal sealed record RankedTrial(int? Rank, TrialResult Trial, double? Score);

/// <summary>Which scores a leaderboard ranks by.</summary>
internal enum RankBasis
{
    /// <summary>The test rows: whenever any succeeded trial was scored on them.</summary>
    Test,
    /// <summary>The validation score (the fold mean in an AutoML search), when no trial has a test score.</summary>
    Validation,
}

/// <summary>Orders an experiment's trials for the leaderboard.</summary>
internal static class TrialRanking
{
    /// <summary>
    /// Test when any succeeded trial has a finite test primary metric, else validation (AutoML search
    /// trials are scored by cross-validation only; the final model alone meets the test rows).
    /// </summary>
    public static RankBasis Basis(ExperimentResult experiment) =>
        (experiment.Trials ?? []).Any(t => t.Status == TrialStatus.Succeeded && TestPrimary(t, experiment.PrimaryMetric) is not null)
            ? RankBasis.Test
            : RankBasis.Validation;

    /// <summary>
    /// Succeeded trials with a finite primary metric on the <see cref="Basis"/> first, best first
    /// (respecting <see cref="ExperimentResult.HigherIsBetter"/>, ties in run order), ranked 1, 2, ...;
    /// then the other trials in run order, unranked.
    /// </summary>
    public static List<RankedTrial> Rank(ExperimentResult experiment)
    {
        var basis = Basis(experiment);
        var trials = (experiment.Trials ?? [])
            .Select((t, i) => (Trial: t, Index: i, Score: Score(t, experiment.PrimaryMetric, basis))).ToList();
        var rankable = trials.Where(t => t.Trial.Status == TrialStatus.Succeeded && t.Score is not null);
        var ordered = experiment.HigherIsBetter
            ? rankable.OrderByDescending(t => t.Score).ThenBy(t => t.Index)
            : rankable.OrderBy(t => t.Score).ThenBy(t => t.Index);
        var ranked = ordered.Select((t, i) => new RankedTrial(i + 1, t.Trial, t.Score)).ToList();
        var rest = trials.Where(t => !ranked.Any(r => ReferenceEquals(r.Trial, t.Trial)))
            .Select(t => new RankedTrial(null, t.Trial, t.Score));
        return [.. ranked, .. rest];
    }

    /// <summary>The trial's finite score for <paramref name="metric"/> on <paramref name="basis"/>, or null.</summary>
    public static double? Score(TrialResult trial, string metric, RankBasis basis) =>
        basis == RankBasis.Test ? TestPrimary(trial, metric) : Finite(trial.Metrics?.Validation, metric);

    /// <summary>The trial's finite test score for <paramref name="metric"/>, or null.</summary>
    public static double? TestPrimary(TrialResult trial, string metric) => Finite(trial.Metrics?.Test, metric);

    /// <summary>How the report names a trial: the candidate, with the AutoML trial number when there is one.</summary>
    public static string Name(TrialResult trial) =>
        trial.Number is { } n ? $"{trial.Candidate} #{n}" : trial.Candidate;

    private static double? Finite(Dictionary<string, double>? metrics, string metric) =>
        metrics is not null && metrics.TryGetValue(metric, out var value) && double.IsFinite(value) ? value : null;
}
