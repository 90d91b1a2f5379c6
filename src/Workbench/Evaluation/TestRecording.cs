using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Models;

namespace MLWorkbench.Evaluation;

/// <summary>What a trial records of its test predictions for the report, in one place for comparisons and searches.</summary>
internal static class TestRecording
{
    /// <summary>
    /// Stores the prediction per test row, the positive-class probability (binary) and the predicted class's probability
    /// (any classifier: the report lists mistakes most confident first).
    /// </summary>
    public static void RecordTest(this TrialResult trial, TaskKind task, Predictions predicted)
    {
        trial.TestPredictions = [.. predicted.Values.Select(v => (double)v)];
        if (predicted.Probabilities is not { } probabilities) return;
        if (task == TaskKind.BinaryClassification) trial.TestScores = [.. probabilities.Select(p => (double)p[1])];
        trial.TestConfidences = [.. probabilities.Select((p, row) => (double)p[(int)predicted.Values[row]])];
    }
}
