namespace MLWorkbench.Evaluation;

/// <summary>How the field scores sentence similarity: correlation with the gold scores, and squared error.</summary>
public static class SimilarityMetrics
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
            [Spearman] = PearsonOf(Ranks(g), Ranks(p)),
            [Pearson] = PearsonOf(g, p),
            [Mse] = se / g.Length,
        };
    }

    private static double PearsonOf(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my); }
        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }

    private static double[] Ranks(double[] values)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j < order.Length && values[order[j]] == values[order[i]]) j++;
            for (var k = i; k < j; k++) ranks[order[k]] = (i + j - 1) / 2.0 + 1;
            i = j;
        }
        return ranks;
    }
}
