using MLWorkbench.Serving;

namespace MLWorkbench.Bundles;

/// <summary>
/// What a <see cref="WorkbenchModel"/> predicted for one row: the value (regression), or the predicted class with the
/// probability of every class (classification).
/// </summary>
/// <param name="Value">The predicted number (regression); null for classifiers.</param>
/// <param name="PredictedLabel">The most probable class (classification); null for regression.</param>
/// <param name="Probabilities">Each class's probability by class name, in the model's class order (classification); null for regression.</param>
public sealed record Prediction(float? Value, string? PredictedLabel, IReadOnlyDictionary<string, float>? Probabilities)
{
    /// <summary>The probability of <see cref="PredictedLabel"/> (classification); null for regression.</summary>
    public float? Probability => PredictedLabel is not null && Probabilities is not null ? Probabilities[PredictedLabel] : null;
}

/// <summary>The outcome of one row of a batch: a prediction, or the reason the row could not be predicted.</summary>
/// <param name="Index">The row's position in the batch (0-based).</param>
/// <param name="Prediction">The prediction; null when the row is bad.</param>
/// <param name="Error">One sentence saying what is wrong with the row; null when it was predicted.</param>
public sealed record RowResult(int Index, Prediction? Prediction, string? Error)
{
    /// <summary>True when the row was predicted.</summary>
    public bool Succeeded => Prediction is not null;
}
