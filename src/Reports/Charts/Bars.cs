using ScottPlot;

namespace MLWorkbench.Reports;

public static partial class Charts
{
    /// <summary>
    /// A horizontal bar per candidate, drawn top to bottom in the order given (pass them in ranking order;
    /// the bar at <paramref name="highlight"/> is highlighted), each bar labelled with its value. With <paramref name="low"/> and
    /// <paramref name="high"/> (NaN for a candidate without an interval) it is a dot per candidate with a
    /// whisker for its interval instead, on an axis zoomed to the intervals: bars from zero would shrink
    /// the intervals of scores like 0.95 to 0.99 out of sight.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="metric">Axis label for the values, e.g. <c>test rmse (lower is better)</c>.</param>
    /// <param name="candidates">Bar labels.</param>
    /// <param name="values">One finite value per candidate.</param>
    /// <param name="low">Lower ends of the intervals, or null for none.</param>
    /// <param name="high">Upper ends of the intervals, or null for none.</param>
    /// <param name="highlight">Index of the candidate to draw in the highlight colour (the selected model), or -1 for none.</param>
    /// <param name="bounds">The metric's natural range (e.g. 0 to 1 for accuracy), or null: the axis never labels a value past it.</param>
    public static string Leaderboard(string title, string metric, string[] candidates, double[] values, double[]? low = null, double[]? high = null, int highlight = 0,
        (double Min, double Max)? bounds = null)
    {
        RequireSameLength(candidates.Length, values.Length, nameof(values));
        var description = $"{metric} per candidate, in ranking order: " +
            string.Join("; ", candidates.Select((c, i) => $"{c} {S(values[i])}{IntervalText(low, high, i)}")) + ".";
        var hasIntervals = low is not null && high is not null &&
            Enumerable.Range(0, Math.Min(low.Length, high.Length)).Any(i => double.IsFinite(low[i]) && double.IsFinite(high[i]));
        return hasIntervals
            ? IntervalDots(title, metric, candidates, values, low!, high!, highlight, bounds, description)
            : HorizontalBars(title, metric, candidates, values, null, null, highlight, description, bounds);
    }

    /// <summary>
    /// Permutation importance: a horizontal bar per feature, largest first as given, with a whisker of
    /// one standard deviation over the permutation repeats on each side.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="measure">Axis label, e.g. <c>increase of test rmse when shuffled</c>.</param>
    /// <param name="features">Feature names.</param>
    /// <param name="importance">Mean loss increase of each feature.</param>
    /// <param name="standardDeviation">Its standard deviation over the repeats.</param>
    public static string FeatureImportance(string title, string measure, string[] features, double[] importance, double[] standardDeviation)
    {
        RequireSameLength(features.Length, importance.Length, nameof(importance));
        RequireSameLength(features.Length, standardDeviation.Length, nameof(standardDeviation));
        importance = Snap(importance);
        standardDeviation = Snap([.. standardDeviation.Concat(importance)])[..standardDeviation.Length];
        var low = importance.Zip(standardDeviation, (v, sd) => v - sd).ToArray();
        var high = importance.Zip(standardDeviation, (v, sd) => v + sd).ToArray();
        var description = $"{measure}, largest first: " +
            string.Join("; ", features.Select((f, i) => $"{f} {S(importance[i])} ± {S(standardDeviation[i])}")) + ".";
        // Every label to the precision of the largest value (0.00859, 0.00087), not each to its own.
        var largest = importance.Concat(standardDeviation).Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        var decimals = largest > 0 ? Math.Clamp(2 - (int)Math.Floor(Math.Log10(largest)), 0, 12) : 0;
        return HorizontalBars(title, measure, features, importance, low, high, highlight: -1, description,
            format: v => v == 0 ? "0" : v.ToString("F" + decimals, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string HorizontalBars(string title, string metric, string[] names, double[] values, double[]? low, double[]? high,
        int highlight, string description, (double Min, double Max)? bounds = null, Func<double, string>? format = null)
    {
        RequireSameLength(names.Length, values.Length, nameof(values));
        if (low is not null) RequireSameLength(names.Length, low.Length, nameof(low));
        if (high is not null) RequireSameLength(names.Length, high.Length, nameof(high));
        var n = names.Length;
        var plot = NewPlot(title, metric, "");
        var bars = new List<ScottPlot.Bar>();
        for (var i = 0; i < n; i++)
            bars.Add(new ScottPlot.Bar
            {
                Position = n - 1 - i,
                Value = values[i],
                FillColor = i == highlight ? BestColor : BarColor,
                LineWidth = 0,
                Size = 0.7,
            });
        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;

        // Whiskers and value labels are drawn here rather than by the bar plot, so that a label sits past
        // the whisker instead of on it.
        var ends = new double[n];
        for (var i = 0; i < n; i++)
        {
            double y = n - 1 - i, lo = low?[i] ?? double.NaN, hi = high?[i] ?? double.NaN;
            var hasInterval = double.IsFinite(lo) && double.IsFinite(hi);
            if (hasInterval)
            {
                foreach (var line in new[] { plot.Add.Line(lo, y, hi, y), plot.Add.Line(lo, y - 0.15, lo, y + 0.15), plot.Add.Line(hi, y - 0.15, hi, y + 0.15) })
                {
                    line.LineColor = InkColor;
                    line.LineWidth = 1.5f;
                    line.MarkerSize = 0;
                }
            }
            var positive = values[i] >= 0;
            ends[i] = positive ? Math.Max(values[i], hasInterval ? hi : values[i]) : Math.Min(values[i], hasInterval ? lo : values[i]);
            var label = AddText(plot, (format ?? S)(values[i]), ends[i], y, positive ? Alignment.MiddleLeft : Alignment.MiddleRight, 12, InkColor);
            label.OffsetX = positive ? 5 : -5;
        }
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, n).Select(i => (double)(n - 1 - i))], names);
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Grid.YAxisStyle.IsVisible = false;

        var low0 = Math.Min(0, ends.DefaultIfEmpty(0).Min());
        var high0 = Math.Max(0, ends.DefaultIfEmpty(1).Max());
        var span = high0 - low0 == 0 ? 1 : high0 - low0;
        // Room past the bar ends for their value labels.
        plot.Axes.SetLimits(low0 < 0 ? low0 - 0.2 * span : 0, high0 > 0 ? high0 + 0.2 * span : 0.05 * span, -0.6, n - 0.4);
        // Bars from zero leave room for their value labels past the end; a rate's axis still stops labelling at 1.
        if (bounds is { } b) BoundTickLabels(plot.Axes.Bottom, b.Min, b.Max);
        return Finish(plot, Width, 90 + 34 * Math.Max(n, 2), title, description);
    }

    private static string IntervalDots(string title, string metric, string[] names, double[] values, double[] low, double[] high, int highlight,
        (double Min, double Max)? bounds, string description)
    {
        RequireSameLength(names.Length, low.Length, nameof(low));
        RequireSameLength(names.Length, high.Length, nameof(high));
        var n = names.Length;
        var plot = NewPlot(title, metric, "");
        var ends = new double[n];
        for (var i = 0; i < n; i++)
        {
            double y = n - 1 - i, lo = low[i], hi = high[i];
            var color = i == highlight ? BestColor : BarColor;
            if (double.IsFinite(lo) && double.IsFinite(hi))
                foreach (var line in new[] { plot.Add.Line(lo, y, hi, y), plot.Add.Line(lo, y - 0.18, lo, y + 0.18), plot.Add.Line(hi, y - 0.18, hi, y + 0.18) })
                {
                    line.LineColor = color;
                    line.LineWidth = 2;
                    line.MarkerSize = 0;
                }
            plot.Add.Marker(values[i], y, MarkerShape.FilledCircle, 10, color);
            ends[i] = double.IsFinite(hi) ? Math.Max(hi, values[i]) : values[i];
        }
        var (xMin, xMax) = Clamp(Padded(values.Concat(low).Concat(high), 0.06, 0.06), bounds);
        // Value labels go right of the rightmost whisker; where that would pass the end of a bounded axis
        // (an accuracy of 1), they go left of the dot's interval instead, so the axis never runs past 1.
        var labelRoom = (xMax - xMin) * 0.16;
        var right = ends.Select(end => bounds is null || end + labelRoom <= xMax).ToArray();
        var starts = values.Select((v, i) => double.IsFinite(low[i]) ? Math.Min(low[i], v) : v).ToArray();
        if (!right.All(r => r)) xMin = Math.Min(xMin, starts.Where((_, i) => !right[i]).Min() - labelRoom);
        plot.Axes.SetLimits(xMin, xMax + (bounds is null ? labelRoom : 0), -0.6, n - 0.4);
        if (bounds is { } b) BoundTickLabels(plot.Axes.Bottom, b.Min, b.Max);
        for (var i = 0; i < n; i++)
        {
            var start = starts[i];
            var label = AddText(plot, S(values[i]), right[i] ? ends[i] : start, n - 1 - i, right[i] ? Alignment.MiddleLeft : Alignment.MiddleRight, 12, InkColor);
            label.OffsetX = right[i] ? 7 : -7;
        }
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, n).Select(i => (double)(n - 1 - i))], names);
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Grid.YAxisStyle.IsVisible = false;
        return Finish(plot, Width, 90 + 34 * Math.Max(n, 2), title, description);
    }

    private static string IntervalText(double[]? low, double[]? high, int i) =>
        low is not null && high is not null && double.IsFinite(low[i]) && double.IsFinite(high[i])
            ? $" (95% CI {S(low[i])} to {S(high[i])})"
            : "";
}
