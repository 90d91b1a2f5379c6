namespace MLWorkbench.Results;

/// <summary>
/// The formulas behind every metric in a results file, defined once: the library scores trials with them and the
/// report recomputes them on bootstrap samples of the test rows, so both give the same number for the same rows.
/// Plain numbers in, plain numbers out; nothing here depends on ML.NET or the renderer.
/// </summary>
public static class MetricFormulas
{
    /// <summary>Pearson's linear correlation of <paramref name="x"/> and <paramref name="y"/>; NaN when either is constant.</summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException("Both series must have the same length.", nameof(y));
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }

    /// <summary>Spearman's rank correlation: Pearson's on <see cref="Ranks"/>, so ties share their mean rank.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Pearson(Ranks(x), Ranks(y));

    /// <summary>Ranks from 1 in ascending order; tied values share their mean rank.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j < order.Length && values[order[j]] == values[order[i]]) j++;
            for (var k = i; k < j; k++) ranks[order[k]] = (i + j - 1) / 2.0 + 1;
            i = j;
        }
        return ranks;
    }

    /// <summary>
    /// Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties counted as half; NaN when the rows hold
    /// only one class.
    /// </summary>
    /// <param name="rows">Each row's positive-class score and whether it is positive.</param>
    public static double AreaUnderRoc(IEnumerable<(double Score, bool Positive)> rows)
    {
        var scored = rows.OrderBy(r => r.Score).ToArray();
        double rankSum = 0;
        long positives = 0;
        for (var i = 0; i < scored.Length;)
        {
            var j = i;
            while (j < scored.Length && scored[j].Score == scored[i].Score) j++;
            var rank = (i + j + 1) / 2.0; // mean 1-based rank of the tie group
            for (var k = i; k < j; k++) if (scored[k].Positive) { rankSum += rank; positives++; }
            i = j;
        }
        long negatives = scored.Length - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (rankSum - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }

    /// <summary>One class's F1 from its counts; 0 for a class neither predicted nor present.</summary>
    /// <param name="hits">Rows of the class predicted as the class.</param>
    /// <param name="predicted">Rows predicted as the class.</param>
    /// <param name="actual">Rows of the class.</param>
    public static double F1(long hits, long predicted, long actual) => predicted + actual == 0 ? 0 : 2.0 * hits / (predicted + actual);

    /// <summary>One row's log loss: minus the log of the probability given to the true class, clamped at 1e-15.</summary>
    public static double LogLoss(double probabilityOfTruth) => -Math.Log(Math.Clamp(probabilityOfTruth, 1e-15, 1));

    /// <summary>R² from the sum of squared errors and the total sum of squares around the mean; NaN when the labels are constant.</summary>
    public static double RSquared(double squaredError, double totalSquares) => totalSquares > 0 ? 1 - squaredError / totalSquares : double.NaN;
}
