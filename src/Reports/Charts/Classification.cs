using ScottPlot;

namespace MLWorkbench.Reports;

public static partial class Charts
{
    private static readonly Color HeatColor = Color.FromHex("#2F5F98");

    /// <summary>
    /// A heat map of counts by actual class (rows, first class on top) and predicted class (columns),
    /// every count written in its cell. A cell's shade is its share of the actual class's rows, so that
    /// rare classes read as clearly as common ones.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="classes">Class names by index.</param>
    /// <param name="counts">Rows of actual class i predicted as class j at [i, j].</param>
    public static string ConfusionMatrix(string title, string[] classes, long[,] counts)
    {
        var k = classes.Length;
        if (counts.GetLength(0) != k || counts.GetLength(1) != k)
            throw new ArgumentException($"Expected a {k} × {k} matrix, one row and column per class.", nameof(counts));
        var plot = NewPlot(title, "predicted class", "actual class");
        var cell = Math.Min(100, 380.0 / k);
        var fontSize = (float)Math.Clamp(cell * 0.3, 9, 14);
        for (var actual = 0; actual < k; actual++)
        {
            long rowTotal = 0;
            for (var p = 0; p < k; p++) rowTotal += counts[actual, p];
            for (var predicted = 0; predicted < k; predicted++)
            {
                var count = counts[actual, predicted];
                var share = rowTotal == 0 ? 0 : count / (double)rowTotal;
                double y = k - 1 - actual;
                var rect = plot.Add.Rectangle(predicted - 0.5, predicted + 0.5, y - 0.5, y + 0.5);
                rect.FillColor = Colors.White.MixedWith(HeatColor, (float)share);
                rect.LineColor = Colors.White;
                rect.LineWidth = 1;
                AddText(plot, count.ToString(System.Globalization.CultureInfo.InvariantCulture), predicted, y, Alignment.MiddleCenter,
                    fontSize, share > 0.5 ? Colors.White : InkColor);
            }
        }
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, k).Select(i => (double)i)], classes);
        // Names wider than a cell would run into each other: turn them 45° (or 90° when even that is too
        // tight) and make room for them below the matrix.
        var widest = classes.Select(c => ChartFont.Measure(c, 12)).DefaultIfEmpty(0).Max();
        var extra = 0f;
        if (widest > cell - 6)
        {
            var steep = cell < 22;
            plot.Axes.Bottom.TickLabelStyle.Rotation = steep ? -90 : -45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = steep ? Alignment.MiddleRight : Alignment.UpperRight;
            extra = steep ? widest : widest * 0.71f + 10;
            plot.Axes.Bottom.MinimumSize = 24 + extra;
        }
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, k).Select(i => (double)(k - 1 - i))], classes);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Grid.IsVisible = false;
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.Axes.Frame(false);

        long total = 0, right = 0;
        var confusions = new List<(long Count, string Text)>();
        for (var a = 0; a < k; a++)
            for (var p = 0; p < k; p++)
            {
                total += counts[a, p];
                if (a == p) right += counts[a, p];
                else if (counts[a, p] > 0) confusions.Add((counts[a, p], $"{classes[a]} predicted as {classes[p]} {counts[a, p]}"));
            }
        var recall = Enumerable.Range(0, k).Select(a =>
        {
            long row = 0;
            for (var p = 0; p < k; p++) row += counts[a, p];
            return $"{classes[a]} {counts[a, a]} of {row}";
        });
        var description = $"Confusion matrix of {total} test rows, {right} right. Right per actual class: {string.Join("; ", recall)}." +
            (confusions.Count == 0 ? " No row was misclassified." :
                $" Most frequent mistakes: {string.Join("; ", confusions.OrderByDescending(c => c.Count).Take(6).Select(c => c.Text))}.");
        // Square cells: lay out once at the usual width, then narrow the chart by the excess data width.
        var height = (int)(120 + extra + cell * k);
        plot.RenderInMemory(Width, height);
        var area = plot.LastRender.DataRect;
        var width = (int)Math.Clamp(Width - (area.Width - area.Height), 240, Width);
        return Finish(plot, width, height, title, description);
    }

    /// <summary>
    /// ROC curves, one per model, with the chance diagonal; the legend gives each model's AUC.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="names">Model names.</param>
    /// <param name="falsePositiveRate">Per model, the false positive rate at each threshold, from 0 to 1.</param>
    /// <param name="truePositiveRate">Per model, the true positive rate at the same thresholds.</param>
    /// <param name="area">Per model, the area under its curve.</param>
    public static string Roc(string title, string[] names, double[][] falsePositiveRate, double[][] truePositiveRate, double[] area)
    {
        RequireSameLength(names.Length, falsePositiveRate.Length, nameof(falsePositiveRate));
        RequireSameLength(names.Length, truePositiveRate.Length, nameof(truePositiveRate));
        RequireSameLength(names.Length, area.Length, nameof(area));
        var plot = NewPlot(title, "false positive rate", "true positive rate");
        AddDashed(plot, [0, 1], [0, 1], 1.04, 1.04, MutedColor, "guessing (AUC 0.5)");
        for (var m = 0; m < names.Length; m++)
        {
            var line = plot.Add.ScatterLine(falsePositiveRate[m], truePositiveRate[m], LineColors[m % LineColors.Length]);
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = $"{names[m]} (AUC {S(area[m])})";
        }
        plot.Axes.SetLimits(-0.02, 1.02, -0.02, 1.02);
        BoundTickLabels(plot.Axes.Bottom, 0, 1);
        BoundTickLabels(plot.Axes.Left, 0, 1);
        ShowLegend(plot, Alignment.LowerRight);
        var description = "ROC curves on the test rows: " +
            string.Join("; ", names.Select((n, m) => $"{n} AUC {S(area[m])}")) + ". The dashed diagonal is guessing.";
        return Finish(plot, Width, 440, title, description);
    }

    /// <summary>
    /// Precision-recall curves, one per model, as steps, with the precision of guessing (the share of
    /// positives) as a dashed line; the legend gives each model's average precision.
    /// </summary>
    /// <param name="title">Chart title.</param>
    /// <param name="names">Model names.</param>
    /// <param name="recall">Per model, recall at each step.</param>
    /// <param name="precision">Per model, precision at the same steps.</param>
    /// <param name="averagePrecision">Per model, the average precision.</param>
    /// <param name="prevalence">The share of positive rows.</param>
    public static string PrecisionRecall(string title, string[] names, double[][] recall, double[][] precision, double[] averagePrecision, double prevalence)
    {
        RequireSameLength(names.Length, recall.Length, nameof(recall));
        RequireSameLength(names.Length, precision.Length, nameof(precision));
        RequireSameLength(names.Length, averagePrecision.Length, nameof(averagePrecision));
        var plot = NewPlot(title, "recall", "precision");
        var lowest = Math.Min(prevalence, precision.SelectMany(p => p).DefaultIfEmpty(0).Min());
        var bottom = Math.Max(0, lowest - 0.05);
        AddDashed(plot, [0, 1], [prevalence, prevalence], 1.04, 1.02 - bottom, MutedColor, $"guessing ({S(prevalence)})");
        for (var m = 0; m < names.Length; m++)
        {
            var line = plot.Add.ScatterLine(recall[m], precision[m], LineColors[m % LineColors.Length]);
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = $"{names[m]} (AP {S(averagePrecision[m])})";
        }
        plot.Axes.SetLimits(-0.02, 1.02, bottom, 1.02);
        BoundTickLabels(plot.Axes.Bottom, 0, 1);
        BoundTickLabels(plot.Axes.Left, 0, 1);
        ShowLegend(plot, Alignment.LowerLeft);
        var description = "Precision-recall curves on the test rows: " +
            string.Join("; ", names.Select((n, m) => $"{n} average precision {S(averagePrecision[m])}")) +
            $". The dashed line is the precision of guessing, the share of positive rows ({S(prevalence)}).";
        return Finish(plot, Width, 440, title, description);
    }
}
