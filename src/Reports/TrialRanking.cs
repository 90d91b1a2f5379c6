using MLWorkbench.Results;

namespace MLWorkbench.Reports;

/// <summary>A trial and its place on the leaderboard; <see cref="Rank"/> is null for unranked trials.</summary>
internal sealed record RankedTrial(int? Rank, TrialResult Trial, double? TestPrimary);

/// <summary>Orders an experiment's trials for the leaderboard.</summary>
internal static class TrialRanking
{
    /// <summary>
    /// Succeeded trials with a finite test primary metric first, best first (respecting
    /// <see cref="ExperimentResult.HigherIsBetter"/>, ties in run order), ranked 1, 2, ...;
    /// then the other trials in run order, unranked.
    /// </summary>
    public static List<RankedTrial> Rank(ExperimentResult experiment)
    {
        var trials = (experiment.Trials ?? []).Select((t, i) => (Trial: t, Index: i, Test: TestPrimary(t, experiment.PrimaryMetric))).ToList();
        var rankable = trials.Where(t => t.Trial.Status == TrialStatus.Succeeded && t.Test is not null);
        var ordered = experiment.HigherIsBetter
            ? rankable.OrderByDescending(t => t.Test).ThenBy(t => t.Index)
            : rankable.OrderBy(t => t.Test).ThenBy(t => t.Index);
        var ranked = ordered.Select((t, i) => new RankedTrial(i + 1, t.Trial, t.Test)).ToList();
        var rest = trials.Where(t => !ranked.Any(r => ReferenceEquals(r.Trial, t.Trial)))
            .Select(t => new RankedTrial(null, t.Trial, t.Test));
        return [.. ranked, .. rest];
    }

    /// <summary>The trial's finite test score for <paramref name="metric"/>, or null.</summary>
    public static double? TestPrimary(TrialResult trial, string metric) =>
        trial.Metrics?.Test is { } test && test.TryGetValue(metric, out var value) && double.IsFinite(value) ? value : null;
}
