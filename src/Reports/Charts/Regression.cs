using ScottPlot;

namespace MLWorkbench.Reports;

public static partial class Charts
{
    /// <summary>
    /// Predicted against actual value, one point per test row, with the line of perfect prediction;
    /// both axes share one range so the line runs corner to corner.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="label">What the values are, e.g. the label column.</param>
    /// <param name="actual">Actual value of each row.</param>
    /// <param name="predicted">Predicted value of each row.</param>
    public static string PredictedVersusActual(string title, string label, double[] actual, double[] predicted)
    {
        RequireSameLength(actual.Length, predicted.Length, nameof(predicted));
        var plot = NewPlot(title, $"actual {label}", $"predicted {label}");
        var (min, max) = Padded(actual.Concat(predicted), 0.04, 0.04);
        AddDashed(plot, [min, max], [min, max], max - min, max - min, MutedColor);
        plot.Add.Markers(actual, predicted, MarkerShape.FilledCircle, 5, BarColor.WithAlpha(0.55));
        plot.Axes.SetLimits(min, max, min, max);
        var errors = actual.Zip(predicted, (a, p) => p - a).Where(double.IsFinite).ToArray();
        var rmse = errors.Length == 0 ? double.NaN : Math.Sqrt(errors.Average(e => e * e));
        var description = $"Predicted against actual {label} for {actual.Length} test rows; points on the dashed diagonal are exact. " +
            $"Actual values run from {S(actual.DefaultIfEmpty(double.NaN).Min())} to {S(actual.DefaultIfEmpty(double.NaN).Max())}; root mean squared error {S(rmse)}.";
        return Finish(plot, Width, 460, title, description);
    }

    /// <summary>
    /// Residuals (actual minus predicted) against the prediction, one point per test row, with the zero
    /// line: a pattern instead of an even band shows where the model is biased.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="label">What the values are, e.g. the label column.</param>
    /// <param name="predicted">Predicted value of each row.</param>
    /// <param name="actual">Actual value of each row.</param>
    public static string Residuals(string title, string label, double[] predicted, double[] actual)
    {
        RequireSameLength(predicted.Length, actual.Length, nameof(actual));
        var residuals = actual.Zip(predicted, (a, p) => a - p).ToArray();
        var plot = NewPlot(title, $"predicted {label}", "residual (actual − predicted)");
        var (xMin, xMax) = Padded(predicted, 0.04, 0.04);
        var reach = residuals.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(1).Max() * 1.08;
        if (reach == 0) reach = 1;
        AddDashed(plot, [xMin, xMax], [0, 0], xMax - xMin, 2 * reach, MutedColor);
        plot.Add.Markers(predicted, residuals, MarkerShape.FilledCircle, 5, BarColor.WithAlpha(0.55));
        plot.Axes.SetLimits(xMin, xMax, -reach, reach);
        var finite = residuals.Where(double.IsFinite).ToArray();
        var mean = finite.Length == 0 ? double.NaN : finite.Average();
        var over = finite.Count(r => r > 0);
        var description = $"Residuals of {residuals.Length} test rows against the prediction: mean {S(mean)}, " +
            $"{over} rows above zero (under-predicted) and {finite.Length - over} at or below; largest absolute residual {S(reach / 1.08)}.";
        return Finish(plot, Width, 400, title, description);
    }
}
