using MLWorkbench.Results;

namespace MLWorkbench.Reports.Statistics;

/// <summary>
/// Recomputes a metric on any subset of the test rows from the per-row labels and predictions, with the
/// formulas the runner uses (<see cref="MetricFormulas"/>, in the results contract both reference), so bootstrap samples
/// score like the whole set.
/// </summary>
internal static class RowMetrics
{
    /// <summary>
    /// A function from a sample of row indices to <paramref name="metric"/>, or null when the metric
    /// cannot be computed from what was recorded (no predictions, wrong length, an unknown metric, or
    /// logLoss and auc without positive-class scores).
    /// </summary>
    /// <param name="metric">Metric name: rmse, mae, r2 (regression); accuracy, macroF1, f1, auc, logLoss
    /// (classification); spearman, pearson, mse (sentence similarity).</param>
    /// <param name="labels">Every test row's label (class index for classification).</param>
    /// <param name="predictions">Every test row's prediction (class index for classification), or null.</param>
    /// <param name="scores">Binary: every test row's positive-class probability, or null.</param>
    /// <param name="classes">Number of classes (classification), ignored for regression metrics.</param>
    public static Func<int[], double>? For(string metric, IReadOnlyList<double>? labels, IReadOnlyList<double>? predictions,
        IReadOnlyList<double>? scores, int classes)
    {
        if (labels is null || labels.Count == 0) return null;
        var y = labels.ToArray();
        var p = predictions is { } pr && pr.Count == y.Length ? pr.ToArray() : null;
        var s = scores is { } sc && sc.Count == y.Length ? sc.ToArray() : null;
        return metric switch
        {
            "rmse" when p is not null => rows => Math.Sqrt(rows.Average(i => (p[i] - y[i]) * (p[i] - y[i]))),
            "mae" when p is not null => rows => rows.Average(i => Math.Abs(p[i] - y[i])),
            "r2" when p is not null => rows => RSquared(y, p, rows),
            "mse" when p is not null => rows => rows.Average(i => (p[i] - y[i]) * (p[i] - y[i])),
            "pearson" when p is not null => rows => MetricFormulas.Pearson([.. rows.Select(i => y[i])], [.. rows.Select(i => p[i])]),
            "spearman" when p is not null => rows => MetricFormulas.Spearman([.. rows.Select(i => y[i])], [.. rows.Select(i => p[i])]),
            "accuracy" when p is not null => rows => rows.Count(i => ClassOf(p[i]) == ClassOf(y[i])) / (double)rows.Length,
            "macroF1" when p is not null && classes >= 2 => rows => F1Scores(y, p, rows, classes).Average(),
            "f1" when p is not null && classes == 2 => rows => F1Scores(y, p, rows, 2)[1],
            "auc" when s is not null => rows => MetricFormulas.AreaUnderRoc(rows.Select(i => (s[i], ClassOf(y[i]) == 1))),
            "logLoss" when s is not null => rows => rows.Average(i => MetricFormulas.LogLoss(ClassOf(y[i]) == 1 ? s[i] : 1 - s[i])),
            _ => null,
        };
    }

    /// <summary>A recorded class index as an integer.</summary>
    public static int ClassOf(double value) => (int)Math.Round(value);

    /// <summary>Counts by actual class (rows) and predicted class (columns); rows outside 0..classes-1 are left out.</summary>
    public static long[,] Confusion(IReadOnlyList<double> labels, IReadOnlyList<double> predictions, int classes)
    {
        var counts = new long[classes, classes];
        for (var i = 0; i < Math.Min(labels.Count, predictions.Count); i++)
        {
            int actual = ClassOf(labels[i]), predicted = ClassOf(predictions[i]);
            if (actual >= 0 && actual < classes && predicted >= 0 && predicted < classes) counts[actual, predicted]++;
        }
        return counts;
    }

    private static double RSquared(double[] y, double[] p, int[] rows)
    {
        var mean = rows.Average(i => y[i]);
        double se = 0, total = 0;
        foreach (var i in rows)
        {
            se += (p[i] - y[i]) * (p[i] - y[i]);
            total += (y[i] - mean) * (y[i] - mean);
        }
        return MetricFormulas.RSquared(se, total);
    }

    // Per-class F1 as the runner computes it: 0 for a class neither predicted nor present.
    private static double[] F1Scores(double[] y, double[] p, int[] rows, int classes)
    {
        var hits = new long[classes];
        var predicted = new long[classes];
        var actual = new long[classes];
        foreach (var i in rows)
        {
            int a = ClassOf(y[i]), q = ClassOf(p[i]);
            if (a >= 0 && a < classes) actual[a]++;
            if (q >= 0 && q < classes) predicted[q]++;
            if (a == q && a >= 0 && a < classes) hits[a]++;
        }
        var f1 = new double[classes];
        for (var c = 0; c < classes; c++)
            f1[c] = MetricFormulas.F1(hits[c], predicted[c], actual[c]);
        return f1;
    }
}
