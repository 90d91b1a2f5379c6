using System.Globalization;
using ScottPlot;

namespace MLWorkbench.Reports;

/// <summary>
/// One function per chart kind: plain data in, SVG text out. Every chart has a title, axis labels
/// and a text description (an SVG <c>title</c> and <c>desc</c>, <c>role="img"</c>), ids unique to the
/// chart and a <c>viewBox</c>, so several can be inlined in one HTML page and scale with it.
/// The SVG is also a valid file on its own. This file holds what the chart kinds share.
/// </summary>
public static partial class Charts
{
    private const int Width = 560;
    private static readonly Color BarColor = Color.FromHex("#4C78A8");
    private static readonly Color BestColor = Color.FromHex("#2E7D32");
    private static readonly Color InkColor = Color.FromHex("#222222");
    private static readonly Color MutedColor = Color.FromHex("#8A939C");
    private static readonly Color[] LineColors =
        [Color.FromHex("#4C78A8"), Color.FromHex("#E45756"), Color.FromHex("#54A24B"), Color.FromHex("#B279A2"),
         Color.FromHex("#F58518"), Color.FromHex("#72B7B2"), Color.FromHex("#9D755D"), Color.FromHex("#555555")];

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
        // Room for the last bottom tick label, which is centred on the right edge of the data area.
        plot.Axes.Right.MinimumSize = 28;
        return plot;
    }

    private static string Finish(Plot plot, int width, int height, string title, string description) =>
        ChartSvg.Finish(plot.GetSvgXml(width, height), title, description);

    private static void ShowLegend(Plot plot, Alignment where)
    {
        plot.ShowLegend(where);
        plot.Legend.FontSize = 12;
        plot.Legend.FontName = ChartFont.Family;
    }

    /// <summary>
    /// A dashed reference line along the points given. Skia's SVG writer cannot express dash patterns (it
    /// prints a warning for each and draws them solid), so the dashes are drawn as short segments, sized
    /// as fractions of the axis spans <paramref name="xSpan"/> and <paramref name="ySpan"/>.
    /// </summary>
    private static void AddDashed(Plot plot, double[] xs, double[] ys, double xSpan, double ySpan, Color color, string? legend = null)
    {
        const double dash = 0.016, gap = 0.011;
        var first = true;
        var inDash = true;
        var left = dash;
        for (var i = 1; i < xs.Length; i++)
        {
            double x0 = xs[i - 1], y0 = ys[i - 1];
            double dx = (xs[i] - x0) / xSpan, dy = (ys[i] - y0) / ySpan;
            var length = Math.Sqrt(dx * dx + dy * dy);
            var at = 0.0;
            while (length > 0 && at < length)
            {
                var step = Math.Min(left, length - at);
                if (inDash)
                {
                    var line = plot.Add.Line(x0 + dx * xSpan * at / length, y0 + dy * ySpan * at / length,
                        x0 + dx * xSpan * (at + step) / length, y0 + dy * ySpan * (at + step) / length);
                    line.LineColor = color;
                    line.LineWidth = 1.2f;
                    line.MarkerSize = 0;
                    if (first && legend is not null) line.LegendText = legend;
                    first = false;
                }
                at += step;
                left -= step;
                if (left <= 1e-12)
                {
                    inDash = !inDash;
                    left = inDash ? dash : gap;
                }
            }
        }
    }

    private static ScottPlot.Plottables.Text AddText(Plot plot, string text, double x, double y, Alignment alignment, float size, Color color)
    {
        var label = plot.Add.Text(text, x, y);
        label.Alignment = alignment;
        label.LabelFontSize = size;
        label.LabelFontName = ChartFont.Family;
        label.LabelFontColor = color;
        label.LabelBold = false;
        label.LabelPadding = 0;
        return label;
    }

    // Places each label next to its point, on the first side where it overlaps no other label, point or
    // line (a polyline through <paramref name="line"/>) and stays inside the data area; positions are
    // found on a first render in memory.
    private static void LabelPoints(Plot plot, List<(string Name, double X, double Y)> points, int width, int height,
        IReadOnlyList<Coordinates>? line = null)
    {
        const float size = 12, gap = 6, textHeight = 14;
        plot.RenderInMemory(width, height);
        var area = plot.LastRender.DataRect;
        var pixels = points.Select(p => plot.GetPixel(new Coordinates(p.X, p.Y))).ToArray();
        var taken = pixels.Select(p => new PixelRect(p.X - 5, p.X + 5, p.Y + 5, p.Y - 5)).ToList();
        var path = (line ?? []).Select(plot.GetPixel).ToArray();
        for (var s = 1; s < path.Length; s++)
        {
            var steps = (int)Math.Ceiling(Math.Max(Math.Abs(path[s].X - path[s - 1].X), Math.Abs(path[s].Y - path[s - 1].Y)) / 4) + 1;
            for (var k = 0; k <= steps; k++)
            {
                var x = path[s - 1].X + (path[s].X - path[s - 1].X) * k / steps;
                var y = path[s - 1].Y + (path[s].Y - path[s - 1].Y) * k / steps;
                taken.Add(new PixelRect(x - 2, x + 2, y + 2, y - 2));
            }
        }
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
            // Whatever the overlaps, a label stays inside the data area: cut off or over the axis it cannot be read.
            var rect = best.Rect;
            const float pad = 3; // clear of the frame line, not touching it
            var dx = Math.Max(0, area.Left + pad - rect.Left) - Math.Max(0, rect.Right - (area.Right - pad));
            var dy = Math.Max(0, area.Top + pad - rect.Top) - Math.Max(0, rect.Bottom - (area.Bottom - pad));
            rect = new PixelRect(rect.Left + dx, rect.Right + dx, rect.Bottom + dy, rect.Top + dy);
            taken.Add(rect);
            best = (rect, best.Order, best.Cost);

            var text = AddText(plot, points[i].Name, points[i].X, points[i].Y, Alignment.UpperLeft, size, InkColor);
            text.OffsetX = best.Rect.Left - p.X;
            text.OffsetY = best.Rect.Top - p.Y;
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

    // True when positive values span more than a factor of ten: show them on a log axis.
    private static bool WantsLog(IReadOnlyCollection<double> values)
    {
        var positive = values.Where(s => s > 0 && double.IsFinite(s)).ToArray();
        return positive.Length == values.Count && positive.Length > 1 && positive.Max() / positive.Min() > 10;
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

    private static string S(double value) => NumberFormat.Significant(value);

    /// <summary>
    /// Tick labels only inside [<paramref name="min"/>, <paramref name="max"/>]: a rate's axis may leave a little
    /// room past 0 or 1 so that points and lines on the edge are drawn whole, but it never reads 1.02.
    /// </summary>
    private static void BoundTickLabels(IAxis axis, double min, double max)
    {
        var span = max - min;
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => v < min - 1e-9 * span || v > max + 1e-9 * span ? "" : TickText(v, span),
        };
    }

    // A tick at 0 computed as 1e-17 is written "0"; otherwise the shortest text of the value.
    private static string TickText(double value, double span) =>
        Math.Abs(value) < 1e-9 * Math.Max(span, double.Epsilon) ? "0" : value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>
    /// Values that differ from zero only by floating-point rounding (|v| below a billionth of the largest
    /// magnitude, e.g. −1.7e−17 from a difference of equal losses) are zero: printed, they would read as data.
    /// </summary>
    internal static double[] Snap(double[] values)
    {
        var scale = values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        return [.. values.Select(v => double.IsFinite(v) && Math.Abs(v) <= 1e-9 * scale ? 0 : v)];
    }

    /// <summary>The metric's natural bounds when it has them: rates and correlations at most 1, rates at least 0.</summary>
    public static (double Min, double Max)? MetricBounds(string metric) => metric.ToLowerInvariant() switch
    {
        "accuracy" or "macrof1" or "f1" or "auc" or "precision" or "recall" => (0, 1),
        "spearman" or "pearson" => (-1, 1),
        _ => null,
    };

    // Limits padded around the values but not past the bounds by more than the room an edge point needs.
    private static (double Min, double Max) Clamp((double Min, double Max) limits, (double Min, double Max)? bounds)
    {
        if (bounds is not { } b) return limits;
        var room = 0.015 * (b.Max - b.Min);
        return (Math.Max(limits.Min, b.Min - room), Math.Min(limits.Max, b.Max + room));
    }
}
