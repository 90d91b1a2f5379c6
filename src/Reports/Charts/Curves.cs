using ScottPlot;

namespace MLWorkbench.Reports;

public static partial class Charts
{
    /// <summary>
    /// One line per series against its step or epoch number (1, 2, ...), with a legend when there is
    /// more than one. The value axis is logarithmic when positive values span more than a factor of 30.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="xLabel">What one point stands for, e.g. <c>epoch</c>.</param>
    /// <param name="yLabel">What is measured, e.g. <c>loss</c>.</param>
    /// <param name="names">Series names, for the legend.</param>
    /// <param name="series">The values of each series, first step first.</param>
    /// <param name="bounds">The measure's natural range (e.g. 0 to 1 for accuracy), or null: the axis never labels a value past it.</param>
    public static string Curves(string title, string xLabel, string yLabel, string[] names, double[][] series, (double Min, double Max)? bounds = null)
    {
        RequireSameLength(names.Length, series.Length, nameof(series));
        var finite = series.SelectMany(s => s).Where(double.IsFinite).ToArray();
        var log = finite.Length > 1 && finite.All(v => v > 0) && finite.Max() / finite.Min() > 30;
        var plot = NewPlot(title, xLabel, log ? yLabel + " (log scale)" : yLabel);

        for (var k = 0; k < series.Length; k++)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (var i = 0; i < series[k].Length; i++)
                if (double.IsFinite(series[k][i]) && (!log || series[k][i] > 0))
                {
                    xs.Add(i + 1);
                    ys.Add(log ? Math.Log10(series[k][i]) : series[k][i]);
                }
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray(), LineColors[k % LineColors.Length]);
            line.LineWidth = 2;
            line.MarkerSize = xs.Count == 1 ? 6 : 0;
            if (series.Length > 1) line.LegendText = names[k];
        }

        var steps = series.Select(s => s.Length).DefaultIfEmpty(1).Max();
        var ysAll = finite.Select(v => log ? Math.Log10(v) : v);
        var (yMin, yMax) = log ? Padded(ysAll, 0.06, 0.06) : Clamp(Padded(ysAll, 0.06, 0.06), bounds);
        plot.Axes.SetLimits(steps > 1 ? 1 : 0, steps > 1 ? steps : 2, yMin, yMax);
        if (log) SetLogTicks(plot.Axes.Left, yMin, yMax);
        else if (bounds is { } b) BoundTickLabels(plot.Axes.Left, b.Min, b.Max);
        if (series.Length > 1) ShowLegend(plot, QuietCorner(series, log, yMin, yMax));

        var description = string.Join("; ", names.Select((name, k) => DescribeSeries(name, xLabel, series[k]))) + ".";
        return Finish(plot, Width, 340, title, description);
    }

    // The corner whose legend-sized box covers the fewest points: a legend in the upper right hides a validation
    // loss that climbs at the end.
    private static Alignment QuietCorner(double[][] series, bool log, double yMin, double yMax)
    {
        const double width = 0.4, height = 0.3;
        var points = series.SelectMany(s => s.Select((v, i) => (X: s.Length > 1 ? i / (double)(s.Length - 1) : 0.5,
            Y: (log ? (v > 0 ? Math.Log10(v) : double.NaN) : v) is var y && double.IsFinite(y) && yMax > yMin ? (y - yMin) / (yMax - yMin) : double.NaN)))
            .Where(p => double.IsFinite(p.Y)).ToList();
        (Alignment Corner, double X0, double Y0)[] corners =
            [(Alignment.UpperRight, 1 - width, 1 - height), (Alignment.UpperLeft, 0, 1 - height), (Alignment.LowerRight, 1 - width, 0), (Alignment.LowerLeft, 0, 0)];
        return corners.OrderBy(c => points.Count(p => p.X >= c.X0 && p.X <= c.X0 + width && p.Y >= c.Y0 && p.Y <= c.Y0 + height)).First().Corner;
    }

    /// <summary>
    /// The best score found so far against the time each trial finished, one stepped line per search
    /// (e.g. per tuner on the same data), with a dot where the best improved.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="metric">Score axis label, e.g. <c>validation rmse (5-fold mean)</c>.</param>
    /// <param name="names">Search names, for the legend.</param>
    /// <param name="seconds">Per search, the seconds since it started at which each trial finished.</param>
    /// <param name="values">Per search, each trial's score (NaN for a trial without one).</param>
    /// <param name="higherIsBetter">Which way the score improves.</param>
    public static string BestSoFar(string title, string metric, string[] names, double[][] seconds, double[][] values, bool higherIsBetter)
    {
        RequireSameLength(names.Length, seconds.Length, nameof(seconds));
        RequireSameLength(names.Length, values.Length, nameof(values));
        var plot = NewPlot(title, "seconds since the search started", metric);
        var end = seconds.SelectMany(s => s).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        var shown = new List<double>();
        var summaries = new List<string>();
        for (var k = 0; k < names.Length; k++)
        {
            RequireSameLength(seconds[k].Length, values[k].Length, nameof(values));
            var order = Enumerable.Range(0, seconds[k].Length)
                .Where(i => double.IsFinite(seconds[k][i]) && double.IsFinite(values[k][i]))
                .OrderBy(i => seconds[k][i]).ToArray();
            if (order.Length == 0) continue;
            var xs = new List<double>();
            var ys = new List<double>();
            var dotsX = new List<double>();
            var dotsY = new List<double>();
            var best = double.NaN;
            foreach (var i in order)
            {
                var v = values[k][i];
                if (!double.IsNaN(best) && !(higherIsBetter ? v > best : v < best)) continue;
                if (!double.IsNaN(best)) { xs.Add(seconds[k][i]); ys.Add(best); }
                best = v;
                xs.Add(seconds[k][i]);
                ys.Add(best);
                dotsX.Add(seconds[k][i]);
                dotsY.Add(best);
            }
            xs.Add(end);
            ys.Add(best);
            shown.AddRange(ys);
            var color = LineColors[k % LineColors.Length];
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray(), color);
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = names[k];
            plot.Add.Markers(dotsX.ToArray(), dotsY.ToArray(), MarkerShape.FilledCircle, 6, color);
            summaries.Add($"{names[k]}: {order.Length} scored trials, first {S(values[k][order[0]])}, best {S(best)} " +
                          $"reached at {S(dotsX[^1])} s after {dotsX.Count - 1} improvements");
        }
        var (yMin, yMax) = Padded(shown, 0.08, 0.08);
        plot.Axes.SetLimits(0, end * 1.02, yMin, yMax);
        if (names.Length > 1) ShowLegend(plot, higherIsBetter ? Alignment.LowerRight : Alignment.UpperRight);
        var description = $"Best {metric} so far against time: {string.Join("; ", summaries)}.";
        return Finish(plot, Width, 380, title, description);
    }
}
