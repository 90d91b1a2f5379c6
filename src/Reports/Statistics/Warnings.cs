using MLWorkbench.Results;

namespace MLWorkbench.Reports.Statistics;

/// <summary>Signs that the shipped model will not score in use what the page says: the checks behind the decision block's warnings.</summary>
internal static class Warnings
{
    /// <summary>A lower-is-better validation curve must end this much above its lowest point to count as rising.</summary>
    public const double RiseFactor = 1.25;

    /// <summary>How far a curve rose after its lowest point: the trial, the curve, where it was lowest and where it ended.</summary>
    public sealed record Rise(TrialResult Trial, string Curve, string Per, int LowestAt, double Lowest, int Last, double End);

    /// <summary>
    /// The validation and test scores of the shipped model disagree beyond their intervals: the validation score
    /// lies outside the test score's 95% interval, or the test score outside the validation score's (fold) interval.
    /// An interval of zero width (a perfect score no resample could change) says nothing about the spread and is not used.
    /// </summary>
    public static bool Disagree(double validation, Interval? validationInterval, double test, Interval? testInterval) =>
        (testInterval is { } t && t.High > t.Low && (validation < t.Low || validation > t.High)) ||
        (validationInterval is { } v && v.High > v.Low && (test < v.Low || test > v.High));

    /// <summary>
    /// The first validation curve of a lower-is-better measure (loss, cross-entropy, error) that ends at least
    /// <see cref="RiseFactor"/> times its lowest value, at least two points after it: the network was getting
    /// worse on rows it did not train on while it kept training.
    /// </summary>
    public static Rise? OverFitting(TrialResult? trial)
    {
        if (trial?.Curves is null) return null;
        foreach (var curve in trial.Curves)
        {
            var name = curve.Name ?? "";
            if (!name.Contains("validation", StringComparison.OrdinalIgnoreCase) || !LowerIsBetter(name)) continue;
            var values = curve.Values ?? [];
            var finite = Enumerable.Range(0, values.Count).Where(i => double.IsFinite(values[i])).ToList();
            if (finite.Count < 3) continue;
            var lowestAt = finite.MinBy(i => values[i]);
            var last = finite[^1];
            var (lowest, end) = (values[lowestAt], values[last]);
            if (last - lowestAt >= 2 && lowest > 0 && end >= RiseFactor * lowest)
                return new Rise(trial, name, curve.Per ?? "step", lowestAt + 1, lowest, last + 1, end);
        }
        return null;
    }

    private static bool LowerIsBetter(string name) =>
        new[] { "loss", "entropy", "error", "mae", "mse", "rmse" }.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase));
}
