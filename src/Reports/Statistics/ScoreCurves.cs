namespace MLWorkbench.Reports.Statistics;

/// <summary>ROC and precision-recall curves of a binary classifier's positive-class scores.</summary>
internal static class ScoreCurves
{
    /// <summary>
    /// The ROC curve: false and true positive rates at every distinct score threshold, from (0, 0) to
    /// (1, 1), and the area under it (trapezoids, so tied scores count half). Null when the labels hold
    /// only one class.
    /// </summary>
    public static (double[] FalsePositiveRate, double[] TruePositiveRate, double Area)? Roc(IReadOnlyList<double> labels, IReadOnlyList<double> scores)
    {
        var (thresholds, positives, negatives) = Cumulative(labels, scores);
        if (positives == 0 || negatives == 0) return null;
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        foreach (var (tp, fp) in thresholds)
        {
            fpr.Add(fp / (double)negatives);
            tpr.Add(tp / (double)positives);
        }
        double area = 0;
        for (var i = 1; i < fpr.Count; i++) area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
        return ([.. fpr], [.. tpr], area);
    }

    /// <summary>
    /// The precision-recall curve at every distinct score threshold (highest first), drawn as steps, its
    /// average precision (Σ (R_n − R_{n−1})·P_n, the area under the steps) and the share of positives
    /// (the precision of guessing). The curve ends at the first threshold that reaches full recall.
    /// Null when there are no positive rows.
    /// </summary>
    public static (double[] Recall, double[] Precision, double AveragePrecision, double Prevalence)? PrecisionRecall(
        IReadOnlyList<double> labels, IReadOnlyList<double> scores)
    {
        var (thresholds, positives, negatives) = Cumulative(labels, scores);
        if (positives == 0) return null;
        var recall = new List<double>();
        var precision = new List<double>();
        double previousRecall = 0, ap = 0;
        var previousPrecision = 1.0;
        recall.Add(0);
        precision.Add(1);
        foreach (var (tp, fp) in thresholds)
        {
            var r = tp / (double)positives;
            var p = tp + fp == 0 ? 1 : tp / (double)(tp + fp);
            ap += (r - previousRecall) * p;
            // A step: precision changes at the previous recall, then recall moves on at the new precision.
            if (p != previousPrecision) { recall.Add(previousRecall); precision.Add(p); }
            recall.Add(r);
            precision.Add(p);
            previousRecall = r;
            previousPrecision = p;
            // Past full recall, lower thresholds only add false positives: the curve ends here.
            if (tp == positives) break;
        }
        return ([.. recall], [.. precision], ap, positives / (double)(positives + negatives));
    }

    // True and false positives when everything scoring at least each distinct score (highest first) is called positive.
    private static (List<(long Tp, long Fp)> Thresholds, long Positives, long Negatives) Cumulative(IReadOnlyList<double> labels, IReadOnlyList<double> scores)
    {
        var n = Math.Min(labels.Count, scores.Count);
        var rows = Enumerable.Range(0, n).Where(i => double.IsFinite(scores[i]))
            .Select(i => (Score: scores[i], Positive: RowMetrics.ClassOf(labels[i]) == 1))
            .OrderByDescending(r => r.Score).ToArray();
        var thresholds = new List<(long, long)>();
        long tp = 0, fp = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i].Positive) tp++; else fp++;
            if (i == rows.Length - 1 || rows[i + 1].Score != rows[i].Score) thresholds.Add((tp, fp));
        }
        return (thresholds, tp, fp);
    }
}
