using MLWorkbench.Results;

namespace MLWorkbench.Reports.Statistics;

/// <summary>
/// A model that learned nothing, scored on the same test rows as the others: the mean of the training labels
/// (regression) or their most frequent class (classification; binary scores are the positive class's share of
/// the training rows), from the results' training summary (schema 1.3). Older results files hold only the test
/// labels; then the constant comes from them, which flatters the baseline slightly (by a factor of about
/// (n − 1)/n in squared error, or the sampling error of a class share), and the page says so.
/// </summary>
/// <param name="Name">How the page names it, e.g. <c>baseline: majority class (setosa)</c>.</param>
/// <param name="How">One sentence on how it predicts.</param>
/// <param name="Predictions">Its prediction per test row.</param>
/// <param name="Score">Its primary metric on all test rows.</param>
/// <param name="Interval">The bootstrap 95% interval of <paramref name="Score"/>.</param>
/// <param name="Comparison">The shipped model minus the baseline, paired bootstrap on the test rows; null when the shipped model has no per-row predictions.</param>
internal sealed record Baseline(string Name, string How, double[] Predictions, double Score, Interval? Interval, PairedResult? Comparison)
{
    /// <summary>The comparison's p-value after Holm's correction over the experiment's family (set once the family is known).</summary>
    public double Adjusted { get; set; } = double.NaN;
}

/// <summary>Builds an experiment's <see cref="Baseline"/>.</summary>
internal static class Baselines
{
    /// <summary>
    /// The baseline of the experiment's task on its test rows, or null when there are no test labels or the
    /// primary metric is not defined for a constant (rank and linear correlations).
    /// </summary>
    public static Baseline? For(ExperimentAnalysis a)
    {
        var labels = a.Experiment.TestLabels;
        if (labels is not { Count: > 0 } || labels.Any(v => !double.IsFinite(v))) return null;
        double[] predictions;
        double[]? scores = null;
        string name, how;
        var training = a.Experiment.Baseline;
        if (a.IsClassification)
        {
            // Class counts of the training rows when recorded, else of the test rows.
            var fromTraining = training?.ClassCounts is { Count: > 0 } trainCounts && trainCounts.Sum() > 0;
            var counts = fromTraining
                ? training!.ClassCounts!.Select((c, i) => (Class: i, Count: c)).ToList()
                : labels.GroupBy(RowMetrics.ClassOf).Select(g => (Class: g.Key, Count: g.Count())).ToList();
            var total = counts.Sum(c => c.Count);
            var majority = counts.OrderByDescending(c => c.Count).ThenBy(c => c.Class).First().Class;
            predictions = [.. labels.Select(_ => (double)majority)];
            if (a.IsBinary)
            {
                var share = counts.Where(c => c.Class == 1).Sum(c => c.Count) / (double)total;
                scores = [.. labels.Select(_ => share)];
            }
            name = $"baseline: majority class ({a.ClassName(majority)})";
            how = $"predicts the most frequent class of the {(fromTraining ? "training" : "test")} labels, {a.ClassName(majority)}, for every row";
        }
        else if (a.IsRegression)
        {
            var fromTraining = training?.Mean is { } m && double.IsFinite(m);
            var mean = fromTraining ? training!.Mean!.Value : labels.Average();
            predictions = [.. labels.Select(_ => mean)];
            name = "baseline: mean";
            how = $"predicts the mean of the {(fromTraining ? "training" : "test")} labels, {NumberFormat.Significant(mean)}, for every row";
        }
        else return null;

        var metric = RowMetrics.For(a.Metric, labels, predictions, scores, a.Classes);
        if (metric is null) return null;
        var all = Enumerable.Range(0, labels.Count).ToArray();
        var score = metric(all);
        if (!double.IsFinite(score)) return null;
        var interval = Bootstrap.PercentileInterval(labels.Count, metric) is { } ci ? new Interval(ci.Low, ci.High, IntervalMethod.Bootstrap, labels.Count) : null;
        var comparison = a.ShippedRowMetric() is { } shipped ? PairedTests.PairedBootstrap(labels.Count, shipped, metric) : null;
        return new Baseline(name, how, predictions, score, interval, comparison);
    }
}
