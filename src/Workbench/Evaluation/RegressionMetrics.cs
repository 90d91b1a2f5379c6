using MLWorkbench.Results;

namespace MLWorkbench.Evaluation;

/// <summary>Scores of a regression model on labelled rows it did not train on.</summary>
internal static class RegressionMetrics
{
    /// <summary>Root mean squared error: the primary regression metric (lower is better).</summary>
    public const string Rmse = "rmse";
    /// <summary>Mean absolute error.</summary>
    public const string Mae = "mae";
    /// <summary>Coefficient of determination (1 is perfect, 0 is the constant mean predictor).</summary>
    public const string R2 = "r2";

    /// <summary>Computes RMSE, MAE and R² of <paramref name="predicted"/> against <paramref name="actual"/>.</summary>
    public static Dictionary<string, double> Compute(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        if (actual.Length != predicted.Length || actual.Length == 0)
            throw new ArgumentException("Actual and predicted values must be non-empty and of the same length.");
        double mean = 0;
        foreach (var y in actual) mean += y;
        mean /= actual.Length;
        double se = 0, ae = 0, tot = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            double e = predicted[i] - actual[i];
            se += e * e;
            ae += Math.Abs(e);
            tot += (actual[i] - mean) * (actual[i] - mean);
        }
        return new Dictionary<string, double>
        {
            [Rmse] = Math.Sqrt(se / actual.Length),
            [Mae] = ae / actual.Length,
            [R2] = MetricFormulas.RSquared(se, tot),
        };
    }
}
