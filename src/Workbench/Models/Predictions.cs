namespace MLWorkbench.Models;

/// <summary>
/// What a model predicted for a batch of rows: the value (regression) or the predicted class index
/// (classification), and for classifiers the probability of every class.
/// </summary>
/// <param name="Values">One value or class index per row.</param>
/// <param name="Probabilities">Per row, one probability per class (classification only).</param>
internal sealed record Predictions(float[] Values, float[][]? Probabilities = null)
{
    /// <summary>Regression predictions.</summary>
    public static Predictions Regression(float[] values) => new(values);

    /// <summary>Classification predictions from class probabilities; the predicted class is the most probable.</summary>
    public static Predictions FromProbabilities(float[][] probabilities) =>
        new(probabilities.Select(p => (float)ArgMax(p)).ToArray(), probabilities);

    private static int ArgMax(float[] p)
    {
        var best = 0;
        for (var i = 1; i < p.Length; i++) if (p[i] > p[best]) best = i;
        return best;
    }
}
