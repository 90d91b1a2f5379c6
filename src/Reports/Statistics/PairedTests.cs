namespace MLWorkbench.Reports.Statistics;

/// <summary>The outcome of comparing two models on the same rows or folds.</summary>
/// <param name="Difference">Metric of the first model minus metric of the second.</param>
/// <param name="Low">Lower end of the 95% interval of the difference.</param>
/// <param name="High">Upper end of the 95% interval of the difference.</param>
/// <param name="PValue">Two-sided p-value of "no difference".</param>
/// <param name="Method">The test.</param>
/// <param name="Units">Test rows or folds the comparison rests on.</param>
internal sealed record PairedResult(double Difference, double Low, double High, double PValue, PairedMethod Method, int Units);

/// <summary>Which paired test produced a <see cref="PairedResult"/>.</summary>
internal enum PairedMethod
{
    /// <summary>Paired bootstrap over the test rows.</summary>
    Bootstrap,
    /// <summary>Corrected resampled t-test over cross-validation folds (Nadeau and Bengio 2003).</summary>
    CorrectedTTest,
}

/// <summary>Paired tests of "two models score the same": one on shared test rows, one on shared folds.</summary>
internal static class PairedTests
{
    /// <summary>Resamples for a paired bootstrap.</summary>
    public const int Resamples = 2000;

    /// <summary>
    /// Paired bootstrap: resamples the rows (the same sample for both models), takes the difference of the
    /// metric each time; the p-value is 2·min(share ≤ 0, share ≥ 0), at most 1, and the interval the
    /// 2.5th and 97.5th percentiles of the differences.
    /// </summary>
    /// <param name="rows">Test rows both models predicted.</param>
    /// <param name="first">Metric of the first model on a sample of row indices.</param>
    /// <param name="second">Metric of the second model on the same sample.</param>
    /// <param name="resamples">Number of samples.</param>
    /// <param name="seed">Seed of the sampling.</param>
    public static PairedResult PairedBootstrap(
        int rows, Func<int[], double> first, Func<int[], double> second, int resamples = Resamples, int seed = Bootstrap.Seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        var all = Enumerable.Range(0, rows).ToArray();
        var observed = first(all) - second(all);
        var differences = new List<double>(resamples);
        foreach (var sample in Bootstrap.Samples(rows, resamples, seed))
        {
            var d = first(sample) - second(sample);
            if (double.IsFinite(d)) differences.Add(d);
        }
        if (differences.Count == 0) return new PairedResult(observed, double.NaN, double.NaN, double.NaN, PairedMethod.Bootstrap, rows);
        var atMost = differences.Count(d => d <= 0) / (double)differences.Count;
        var atLeast = differences.Count(d => d >= 0) / (double)differences.Count;
        differences.Sort();
        return new PairedResult(observed, Bootstrap.Percentile(differences, 0.025), Bootstrap.Percentile(differences, 0.975),
            Math.Min(1, 2 * Math.Min(atMost, atLeast)), PairedMethod.Bootstrap, rows);
    }

    /// <summary>
    /// Corrected resampled t-test (Nadeau and Bengio 2003): for per-fold differences d with mean d̄ and
    /// sample variance s², t = d̄ / √((1/k + n_test/n_train)·s²) with k − 1 degrees of freedom. The
    /// correction term accounts for the overlap of training sets between folds; for k-fold
    /// cross-validation n_test/n_train = 1/(k − 1).
    /// </summary>
    /// <param name="first">Metric of the first model per fold.</param>
    /// <param name="second">Metric of the second model on the same folds.</param>
    /// <param name="testTrainRatio">Rows scored per fold over rows trained on; null for k-fold's 1/(k − 1).</param>
    public static CorrectedTTestResult CorrectedResampledTTest(IReadOnlyList<double> first, IReadOnlyList<double> second, double? testTrainRatio = null)
    {
        if (first.Count != second.Count) throw new ArgumentException("Both models need a score for every fold.", nameof(second));
        var k = first.Count;
        if (k < 2) throw new ArgumentException("The test needs at least two folds.", nameof(first));
        var d = first.Zip(second, (a, b) => a - b).ToArray();
        var mean = d.Average();
        var variance = d.Sum(x => (x - mean) * (x - mean)) / (k - 1);
        var ratio = testTrainRatio ?? 1.0 / (k - 1);
        var standardError = Math.Sqrt((1.0 / k + ratio) * variance);
        double t, p;
        if (standardError > 0)
        {
            t = mean / standardError;
            p = StudentT.TwoSidedP(t, k - 1);
        }
        else
        {
            // Every fold differs by the same amount: no difference at all, or an exact one.
            t = mean == 0 ? 0 : Math.Sign(mean) * double.PositiveInfinity;
            p = mean == 0 ? 1 : 0;
        }
        var half = StudentT.Quantile(0.975, k - 1) * standardError;
        return new CorrectedTTestResult(mean, t, k - 1, p, mean - half, mean + half);
    }
}

/// <summary>The corrected resampled t-test's numbers.</summary>
/// <param name="MeanDifference">Mean over folds of first minus second.</param>
/// <param name="T">The corrected t statistic.</param>
/// <param name="DegreesOfFreedom">k − 1.</param>
/// <param name="PValue">Two-sided p-value.</param>
/// <param name="Low">Lower end of the corrected 95% interval of the mean difference.</param>
/// <param name="High">Upper end of that interval.</param>
internal sealed record CorrectedTTestResult(double MeanDifference, double T, int DegreesOfFreedom, double PValue, double Low, double High)
{
    /// <summary>The same as a <see cref="PairedResult"/>.</summary>
    public PairedResult ToPaired() => new(MeanDifference, Low, High, PValue, PairedMethod.CorrectedTTest, DegreesOfFreedom + 1);
}
