namespace MLWorkbench.Reports.Statistics;

/// <summary>A confidence interval and what it rests on.</summary>
/// <param name="Low">Lower end.</param>
/// <param name="High">Upper end.</param>
/// <param name="Method">How it was computed.</param>
/// <param name="Units">Test rows resampled, or folds averaged.</param>
internal sealed record Interval(double Low, double High, IntervalMethod Method, int Units);

/// <summary>Where an interval comes from.</summary>
internal enum IntervalMethod
{
    /// <summary>Percentile bootstrap over the test rows.</summary>
    Bootstrap,
    /// <summary>Mean ± t·sd/√k over the cross-validation folds.</summary>
    Folds,
}

/// <summary>Confidence intervals for a metric from its rows (percentile bootstrap) or from its folds (t interval).</summary>
internal static class Bootstrap
{
    /// <summary>Resamples for a confidence interval.</summary>
    public const int Resamples = 1000;

    /// <summary>The fixed seed: the same results give the same page.</summary>
    public const int Seed = 20260101;

    /// <summary>
    /// Draws <paramref name="resamples"/> samples of <paramref name="rows"/> row indices with replacement,
    /// computes <paramref name="statistic"/> on each and returns the percentiles that bound the middle
    /// <paramref name="level"/> of the finite results (linear interpolation between order statistics).
    /// </summary>
    /// <param name="rows">How many rows there are (indices 0 to rows - 1).</param>
    /// <param name="statistic">The statistic of a sample of row indices; it must not keep the array.</param>
    /// <param name="resamples">Number of samples.</param>
    /// <param name="seed">Seed of the sampling.</param>
    /// <param name="level">Coverage, e.g. 0.95.</param>
    /// <returns>The interval, or null when no resample gave a finite value.</returns>
    public static (double Low, double High)? PercentileInterval(
        int rows, Func<int[], double> statistic, int resamples = Resamples, int seed = Seed, double level = 0.95)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        var values = new List<double>(resamples);
        foreach (var sample in Samples(rows, resamples, seed))
        {
            var value = statistic(sample);
            if (double.IsFinite(value)) values.Add(value);
        }
        if (values.Count == 0) return null;
        values.Sort();
        var tail = (1 - level) / 2;
        return (Percentile(values, tail), Percentile(values, 1 - tail));
    }

    /// <summary>
    /// The interval mean ± t(0.975, k−1)·sd/√k of per-fold values; null for fewer than two finite folds.
    /// </summary>
    public static Interval? FoldInterval(IReadOnlyList<double> folds, double level = 0.95)
    {
        var finite = folds.Where(double.IsFinite).ToArray();
        var k = finite.Length;
        if (k < 2) return null;
        var mean = finite.Average();
        var sd = Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (k - 1));
        var half = StudentT.Quantile(1 - (1 - level) / 2, k - 1) * sd / Math.Sqrt(k);
        return new Interval(mean - half, mean + half, IntervalMethod.Folds, k);
    }

    /// <summary>
    /// The row-index samples: one array, refilled for each sample (consumers must not keep it).
    /// The same seed gives the same samples, so two models scored on the same samples are paired.
    /// </summary>
    internal static IEnumerable<int[]> Samples(int rows, int resamples, int seed)
    {
        var random = new Random(seed);
        var sample = new int[rows];
        for (var b = 0; b < resamples; b++)
        {
            for (var i = 0; i < rows; i++) sample[i] = random.Next(rows);
            yield return sample;
        }
    }

    /// <summary>The <paramref name="p"/> quantile of sorted values (linear interpolation, "type 7").</summary>
    internal static double Percentile(List<double> sorted, double p)
    {
        var position = p * (sorted.Count - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
