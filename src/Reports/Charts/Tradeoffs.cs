using ScottPlot;
using MLWorkbench.Reports.Statistics;

namespace MLWorkbench.Reports;

public static partial class Charts
{
    /// <summary>Points get a name label when there are at most this many; beyond, only the Pareto front and the highlight do.</summary>
    private const int LabelAllUpTo = 12;

    /// <summary>
    /// One point per candidate: a cost (training time, prediction latency) against its metric, with the
    /// Pareto front (the candidates no other beats on both at once) joined by a line. The cost axis is
    /// logarithmic when costs span more than a factor of ten.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="cost">Cost axis label with its unit, e.g. <c>training time (s)</c>.</param>
    /// <param name="metric">Metric axis label, e.g. <c>test rmse (lower is better)</c>.</param>
    /// <param name="candidates">Point labels.</param>
    /// <param name="costs">Cost of each candidate (lower is better).</param>
    /// <param name="values">Metric of each candidate.</param>
    /// <param name="higherIsBetter">Which way the metric improves, for the front.</param>
    /// <param name="highlight">Index of the point to draw in the highlight colour, or -1.</param>
    /// <param name="bounds">The metric's natural range (e.g. 0 to 1 for accuracy), or null: the axis never labels a value past it.</param>
    public static string MetricVersusCost(string title, string cost, string metric, string[] candidates, double[] costs, double[] values,
        bool higherIsBetter, int highlight = -1, (double Min, double Max)? bounds = null)
    {
        RequireSameLength(candidates.Length, costs.Length, nameof(costs));
        RequireSameLength(candidates.Length, values.Length, nameof(values));
        var log = WantsLog(costs);
        var plot = NewPlot(title, log ? LogLabel(cost) : cost, metric);
        var xs = costs.Select(s => log ? Math.Log10(s) : s).ToArray();
        var front = ParetoFront.Indices(costs, values, higherIsBetter);

        if (front.Length > 1)
        {
            // Grey, not green: green is kept for the selected model alone.
            var line = plot.Add.ScatterLine(front.Select(i => xs[i]).ToArray(), front.Select(i => values[i]).ToArray(), MutedColor.WithAlpha(0.8));
            line.LineWidth = 2;
            line.MarkerSize = 0;
        }
        var points = new List<(string Name, double X, double Y)>();
        for (var i = 0; i < candidates.Length; i++)
        {
            if (!double.IsFinite(xs[i]) || !double.IsFinite(values[i])) continue;
            var onFront = front.Contains(i);
            plot.Add.Marker(xs[i], values[i], onFront ? MarkerShape.FilledCircle : MarkerShape.OpenCircle, 9,
                i == highlight ? BestColor : BarColor);
            if (candidates.Length <= LabelAllUpTo || onFront || i == highlight) points.Add((candidates[i], xs[i], values[i]));
        }

        var finite = Enumerable.Range(0, xs.Length).Where(i => double.IsFinite(xs[i]) && double.IsFinite(values[i])).ToArray();
        var (xMin, xMax) = Padded(finite.Select(i => xs[i]), 0.08, 0.08);
        var (yMin, yMax) = Clamp(Padded(finite.Select(i => values[i]), 0.12, 0.12), bounds);
        if (!log) xMin = Math.Max(xMin, 0);
        plot.Axes.SetLimits(xMin, xMax, yMin, yMax);
        if (log) SetLogTicks(plot.Axes.Bottom, xMin, xMax);
        if (bounds is { } b) BoundTickLabels(plot.Axes.Left, b.Min, b.Max);

        const int height = 400;
        LabelPoints(plot, points, Width, height, [.. front.Select(i => new Coordinates(xs[i], values[i]))]);
        var description = $"{metric} against {cost}: " +
            string.Join("; ", candidates.Select((c, i) => $"{c} {S(values[i])} at {S(costs[i])}")) +
            $". Pareto front (no other candidate is both cheaper and better): {string.Join(", ", front.Select(i => candidates[i]))}.";
        return Finish(plot, Width, height, title, description);
    }

    // "training time (s)" becomes "training time (s, log scale)".
    private static string LogLabel(string label) =>
        label.EndsWith(')') ? label[..^1] + ", log scale)" : label + " (log scale)";
}
