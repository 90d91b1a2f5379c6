using System.Globalization;

namespace MLWorkbench.Results;

/// <summary>
/// How a comparison of candidates (not an AutoML search) picks the model to ship, written once so that the runner
/// that keeps and saves the model and the report that ranks the trials apply the same rule: the best validation
/// primary metric, where scores equal at <see cref="SignificantDigits"/> significant digits are a tie, and a tie goes
/// to the candidate that trained fastest, then the one that predicts fastest, then the smaller model, then the one
/// that ran first. Files before schema 1.4 broke ties by run order alone.
/// </summary>
public static class SelectionRule
{
    /// <summary>Significant digits two validation scores are compared at: the precision the report shows them at.</summary>
    public const int SignificantDigits = 4;

    /// <summary>The rule for ties, in words, as the report states it.</summary>
    public const string TieText =
        "validation scores equal at 4 significant digits (as the page shows them) are a tie, and a tie goes to the candidate " +
        "that trained fastest, then the one that predicts fastest, then the smaller model, then the one that ran first";

    /// <summary>The score rounded to <see cref="SignificantDigits"/> significant digits; non-finite scores are returned as they are.</summary>
    /// <param name="score">A metric value.</param>
    public static double Rounded(double score) =>
        double.IsFinite(score) ? double.Parse(score.ToString("G" + SignificantDigits, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : score;

    /// <summary>True when the two scores are a tie under this rule.</summary>
    public static bool Tied(double first, double second) => Rounded(first) == Rounded(second);

    /// <summary>True when the trial takes part in the selection: it succeeded with a finite validation <paramref name="metric"/>.</summary>
    /// <param name="trial">A trial.</param>
    /// <param name="metric">The primary metric.</param>
    public static bool IsScored(TrialResult trial, string metric) =>
        trial is { Status: TrialStatus.Succeeded } && trial.Metrics?.Validation is { } v && v.TryGetValue(metric, out var score) && double.IsFinite(score);

    /// <summary>
    /// Orders two succeeded trials that both have a finite validation <paramref name="metric"/>: negative when
    /// <paramref name="first"/> is preferred, positive when <paramref name="second"/> is, zero when the rule cannot
    /// tell them apart (then the one that ran first wins: sort stably in run order).
    /// </summary>
    /// <param name="first">A trial.</param>
    /// <param name="second">Another trial of the same experiment.</param>
    /// <param name="metric">The primary metric.</param>
    /// <param name="higherIsBetter">True when a larger metric is better.</param>
    public static int Compare(TrialResult first, TrialResult second, string metric, bool higherIsBetter)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        double a = Rounded(first.Metrics.Validation[metric]), b = Rounded(second.Metrics.Validation[metric]);
        var byScore = higherIsBetter ? b.CompareTo(a) : a.CompareTo(b);
        if (byScore != 0) return byScore;
        var byTraining = first.TrainSeconds.CompareTo(second.TrainSeconds);
        if (byTraining != 0) return byTraining;
        var byLatency = Latency(first).CompareTo(Latency(second));
        if (byLatency != 0) return byLatency;
        return (first.ModelBytes ?? long.MaxValue).CompareTo(second.ModelBytes ?? long.MaxValue);
    }

    // Not measured (0 or not finite) sorts after any measured latency.
    private static double Latency(TrialResult trial) =>
        trial.PredictMicrosecondsPerRow > 0 && double.IsFinite(trial.PredictMicrosecondsPerRow) ? trial.PredictMicrosecondsPerRow : double.PositiveInfinity;
}
