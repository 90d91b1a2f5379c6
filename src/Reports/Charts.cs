using System.Globalization;
using ScottPlot;

namespace MLWorkbench.Reports;

/// <summary>
/// One function per chart kind: plain data in, SVG text out. Every chart has a title, axis labels
/// and a text description (an SVG <c>title</c> and <c>desc</c>, <c>role="img"</c>), ids unique to the
/// chart and a <c>viewBox</c>, so several can be inlined in one HTML page and scale with it.
/// The SVG is also a valid file on its own.
/// </summary>
public static class Charts
{
    private const int Width = 560;
    private static readonly Color BarColor = Color.FromHex("#4C78A8");
    private static readonly Color BestColor = Color.FromHex("#2E7D32");
    private static readonly Color InkColor = Color.FromHex("#222222");
    private static readonly Color[] LineColors =
        [Color.FromHex("#4C78A8"), Color.FromHex("#E45756"), Color.FromHex("#54A24B"), Color.FromHex("#B279A2"),
         Color.FromHex("#F58518"), Color.FromHex("#72B7B2"), Color.FromHex("#9D755D"), Color.FromHex("#555555")];

    /// <summary>
    /// A horizontal bar per candidate, drawn top to bottom in the order given (pass them best first;
    /// the first bar is highlighted), each bar labelled with its value.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="metric">Axis label for the values, e.g. <c>test rmse (lower is better)</c>.</param>
    /// <param name="candidates">Bar labels.</param>
    /// <param name="values">One finite value per candidate.</param>
    public static string Leaderboard(string title, string metric, string[] candidates, double[] values)
    {
        RequireSameLength(candidates.Length, values.Length, nameof(values));
        var n = candidates.Length;
        var plot = NewPlot(title, metric, "");
        var bars = new List<ScottPlot.Bar>();
        for (var i = 0; i < n; i++)
            bars.Add(new ScottPlot.Bar
            {
                Position = n - 1 - i,
                Value = values[i],
                Label = NumberFormat.Significant(values[i]),
                FillColor = i == 0 ? BestColor : BarColor,
                LineWidth = 0,
                Size = 0.7,
            });
        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        barPlot.ValueLabelStyle.FontSize = 12;
        barPlot.ValueLabelStyle.ForeColor = InkColor;
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, n).Select(i => (double)(n - 1 - i))], candidates);
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Grid.YAxisStyle.IsVisible = false;

        var low = Math.Min(0, values.DefaultIfEmpty(0).Min());
        var high = Math.Max(0, values.DefaultIfEmpty(1).Max());
        var span = high - low == 0 ? 1 : high - low;
        // Room past the bar ends for their value labels.
        plot.Axes.SetLimits(low < 0 ? low - 0.18 * span : 0, high > 0 ? high + 0.18 * span : 0.05 * span, -0.6, n - 0.4);

        var description = $"{metric} per candidate, best first: " +
            string.Join("; ", candidates.Select((c, i) => $"{c} {NumberFormat.Significant(values[i])}")) + ".";
        return Finish(plot, Width, 90 + 34 * Math.Max(n, 2), title, description);
    }

    /// <summary>
    /// One labelled point per candidate: its training time against its metric. The time axis is
    /// logarithmic when the times span more than a factor of ten.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="metric">Axis label for the values, e.g. <c>test rmse (lower is better)</c>.</param>
    /// <param name="candidates">Point labels.</param>
    /// <param name="trainSeconds">Training time of each candidate, in seconds.</param>
    /// <param name="values">Metric of each candidate.</param>
    /// <param name="highlight">Index of the point to draw in the highlight colour, or -1.</param>
    public static string MetricVersusTrainTime(
        string title, string metric, string[] candidates, double[] trainSeconds, double[] values, int highlight = -1)
    {
        RequireSameLength(candidates.Length, trainSeconds.Length, nameof(trainSeconds));
        RequireSameLength(candidates.Length, values.Length, nameof(values));
        var positive = trainSeconds.Where(s => s > 0 && double.IsFinite(s)).ToArray();
        var log = positive.Length == trainSeconds.Length && positive.Length > 1 && positive.Max() / positive.Min() > 10;
        var plot = NewPlot(title, log ? "training time (s, log scale)" : "training time (s)", metric);
        var xs = trainSeconds.Select(s => log ? Math.Log10(s) : s).ToArray();

        var points = new List<(string Name, double X, double Y)>();
        for (var i = 0; i < candidates.Length; i++)
        {
            if (!double.IsFinite(xs[i]) || !double.IsFinite(values[i])) continue;
            plot.Add.Marker(xs[i], values[i], MarkerShape.FilledCircle, 9, i == highlight ? BestColor : BarColor);
            points.Add((candidates[i], xs[i], values[i]));
        }

        var (xMin, xMax) = Padded(points.Select(p => p.X), 0.08, 0.08);
        var (yMin, yMax) = Padded(points.Select(p => p.Y), 0.12, 0.12);
        if (!log) xMin = Math.Max(xMin, 0);
        plot.Axes.SetLimits(xMin, xMax, yMin, yMax);
        if (log) SetLogTicks(plot.Axes.Bottom, xMin, xMax);

        const int height = 400;
        LabelPoints(plot, points, Width, height);
        var description = $"{metric} against training seconds: " +
            string.Join("; ", candidates.Select((c, i) =>
                $"{c} {NumberFormat.Significant(values[i])} after {NumberFormat.Significant(trainSeconds[i])} s")) + ".";
        return Finish(plot, Width, height, title, description);
    }

    /// <summary>
    /// One line per series against its step or epoch number (1, 2, ...), with a legend when there is
    /// more than one. The value axis is logarithmic when positive values span more than a factor of 30.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="xLabel">What one point stands for, e.g. <c>epoch</c>.</param>
    /// <param name="yLabel">What is measured, e.g. <c>loss</c>.</param>
    /// <param name="names">Series names, for the legend.</param>
    /// <param name="series">The values of each series, first step first.</param>
    public static string Curves(string title, string xLabel, string yLabel, string[] names, double[][] series)
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
        var (yMin, yMax) = Padded(ysAll, 0.06, 0.06);
        plot.Axes.SetLimits(steps > 1 ? 1 : 0, steps > 1 ? steps : 2, yMin, yMax);
        if (log) SetLogTicks(plot.Axes.Left, yMin, yMax);
        if (series.Length > 1)
        {
            plot.ShowLegend(Alignment.UpperRight);
            plot.Legend.FontSize = 12;
        }

        var description = string.Join("; ", names.Select((name, k) => DescribeSeries(name, xLabel, series[k]))) + ".";
        return Finish(plot, 560, 340, title, description);
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        ChartFont.Register();
        var plot = new Plot();
        plot.Font.Set(ChartFont.Family);
        plot.Title(title, 16);
        plot.XLabel(xLabel, 13);
        plot.YLabel(yLabel, 13);
        // Only the regular face is embedded: a bold request would be drawn regular but measured and
        // shown bold by the browser, with overlapping glyphs.
        foreach (var style in new[] { plot.Axes.Title.Label, plot.Axes.Bottom.Label, plot.Axes.Left.Label })
        {
            style.Bold = false;
            style.ForeColor = InkColor;
        }
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        return plot;
    }

    private static string Finish(Plot plot, int width, int height, string title, string description) =>
        ChartSvg.Finish(plot.GetSvgXml(width, height), title, description);

    // Places each label next to its point, on the first side where it overlaps no other label or
    // point and stays inside the data area; positions are found on a first render in memory.
    private static void LabelPoints(Plot plot, List<(string Name, double X, double Y)> points, int width, int height)
    {
        const float size = 12, gap = 6, textHeight = 14;
        plot.RenderInMemory(width, height);
        var area = plot.LastRender.DataRect;
        var pixels = points.Select(p => plot.GetPixel(new Coordinates(p.X, p.Y))).ToArray();
        var taken = pixels.Select(p => new PixelRect(p.X - 5, p.X + 5, p.Y + 5, p.Y - 5)).ToList();
        foreach (var i in Enumerable.Range(0, points.Count).OrderBy(i => pixels[i].Y))
        {
            var p = pixels[i];
            var w = ChartFont.Measure(points[i].Name, size);
            (float Dx, float Dy)[] offsets =
            [
                (gap, -textHeight / 2), (-gap - w, -textHeight / 2),
                (-w / 2, -gap - textHeight), (-w / 2, gap),
                (gap, -textHeight - 2), (gap, 2), (-gap - w, -textHeight - 2), (-gap - w, 2),
                (gap, -1.8f * textHeight), (gap, 0.8f * textHeight), (-gap - w, -1.8f * textHeight), (-gap - w, 0.8f * textHeight),
            ];
            var best = offsets
                .Select(o => new PixelRect(p.X + o.Dx, p.X + o.Dx + w, p.Y + o.Dy + textHeight, p.Y + o.Dy))
                .Select((r, k) => (Rect: r, Order: k, Cost: Overlap(r, taken) + Outside(r, area)))
                .OrderBy(c => c.Cost).ThenBy(c => c.Order).First();
            taken.Add(best.Rect);

            var text = plot.Add.Text(points[i].Name, points[i].X, points[i].Y);
            text.Alignment = Alignment.UpperLeft;
            text.OffsetX = best.Rect.Left - p.X;
            text.OffsetY = best.Rect.Top - p.Y;
            text.LabelFontSize = size;
            text.LabelFontName = ChartFont.Family;
            text.LabelFontColor = InkColor;
            text.LabelBold = false;
            text.LabelPadding = 0;
        }
    }

    private static float Overlap(PixelRect r, List<PixelRect> others) =>
        others.Sum(o => Math.Max(0, Math.Min(r.Right, o.Right) - Math.Max(r.Left, o.Left)) *
                        Math.Max(0, Math.Min(r.Bottom, o.Bottom) - Math.Max(r.Top, o.Top)));

    // A label that leaves the data area runs into the axes: as bad as a large overlap.
    private static float Outside(PixelRect r, PixelRect area) =>
        100 * (Math.Max(0, area.Left - r.Left) + Math.Max(0, r.Right - area.Right) +
               Math.Max(0, area.Top - r.Top) + Math.Max(0, r.Bottom - area.Bottom));

    // Ticks at 1, 2 and 5 times each power of ten, for an axis that shows log10 of the values.
    private static void SetLogTicks(IAxis axis, double logMin, double logMax)
    {
        var positions = new List<double>();
        var labels = new List<string>();
        var multipliers = logMax - logMin > 3 ? new[] { 1.0 } : [1.0, 2, 5];
        for (var decade = (int)Math.Floor(logMin); decade <= (int)Math.Ceiling(logMax); decade++)
            foreach (var m in multipliers)
            {
                var position = Math.Log10(m) + decade;
                if (position < logMin || position > logMax) continue;
                positions.Add(position);
                labels.Add((m * Math.Pow(10, decade)).ToString("G6", CultureInfo.InvariantCulture));
            }
        axis.SetTicks([.. positions], [.. labels]);
    }

    private static (double Min, double Max) Padded(IEnumerable<double> values, double below, double above)
    {
        var list = values.Where(double.IsFinite).ToList();
        if (list.Count == 0) return (0, 1);
        var (min, max) = (list.Min(), list.Max());
        var span = max - min;
        if (span == 0) span = Math.Abs(max) > 0 ? Math.Abs(max) * 0.2 : 1;
        return (min - below * span, max + above * span);
    }

    private static string DescribeSeries(string name, string per, double[] values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0) return $"{name}: no finite values";
        return string.Create(CultureInfo.InvariantCulture,
            $"{name}: {values.Length} {per}s, from {NumberFormat.Significant(finite[0])} to {NumberFormat.Significant(finite[^1])}, lowest {NumberFormat.Significant(finite.Min())}");
    }

    private static void RequireSameLength(int expected, int actual, string name)
    {
        if (expected != actual)
            throw new ArgumentException($"Expected {expected} values, one per name; got {actual}.", name);
    }
}
