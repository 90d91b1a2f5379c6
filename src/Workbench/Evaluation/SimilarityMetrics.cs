using MLWorkbench.Results;

namespace MLWorkbench.Evaluation;

/// <summary>How the field scores sentence similarity: correlation with the gold scores, and squared error.</summary>
internal static class SimilarityMetrics
{
    /// <summary>Spearman's rank correlation (ties get their mean rank): the primary metric.</summary>
    public const string Spearman = "spearman";
    /// <summary>Pearson's linear correlation.</summary>
    public const string Pearson = "pearson";
    /// <summary>Mean squared error against the gold scores (meaningful when predictions are on the gold scale).</summary>
    public const string Mse = "mse";

    /// <summary>Computes Spearman, Pearson and MSE of <paramref name="predicted"/> against <paramref name="gold"/>.</summary>
    public static Dictionary<string, double> Compute(ReadOnlySpan<float> gold, ReadOnlySpan<float> predicted)
    {
        if (gold.Length != predicted.Length || gold.Length < 2)
            throw new ArgumentException("Gold and predicted scores must have the same length, at least 2.");
        var g = new double[gold.Length];
        var p = new double[gold.Length];
        double se = 0;
        for (var i = 0; i < g.Length; i++) { g[i] = gold[i]; p[i] = predicted[i]; se += (g[i] - p[i]) * (g[i] - p[i]); }
        return new Dictionary<string, double>
        {
            [Spearman] = MetricFormulas.Spearman(g, p),
            [Pearson] = MetricFormulas.Pearson(g, p),
            [Mse] = se / g.Length,
        };
    }
}
