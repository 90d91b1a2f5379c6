using MLWorkbench.Tasks;
using MLWorkbench.Models;

namespace MLWorkbench.Evaluation;

/// <summary>The metrics of a task, its primary metric and which way is better.</summary>
internal static class TaskMetrics
{
    /// <summary>The metric leaderboards rank by.</summary>
    public static string Primary(TaskKind task) => task switch
    {
        TaskKind.Regression => RegressionMetrics.Rmse,
        TaskKind.SentenceSimilarity => SimilarityMetrics.Spearman,
        _ => ClassificationMetrics.Accuracy,
    };

    /// <summary>True when a larger primary metric is better.</summary>
    public static bool HigherIsBetter(TaskKind task) => task != TaskKind.Regression;

    /// <summary>The primary metric as a loss (lower is better), as the AutoML search minimizes it.</summary>
    public static double Loss(TaskKind task, IReadOnlyDictionary<string, double> metrics)
    {
        var value = metrics[Primary(task)];
        return HigherIsBetter(task) ? -value : value;
    }

    /// <summary>Every metric of <paramref name="task"/> for the given labels and predictions.</summary>
    public static Dictionary<string, double> Compute(TaskKind task, float[] labels, Predictions predictions, int classes) => task switch
    {
        TaskKind.Regression => RegressionMetrics.Compute(labels, predictions.Values),
        TaskKind.SentenceSimilarity => SimilarityMetrics.Compute(labels, predictions.Values),
        _ => ClassificationMetrics.Compute(labels, predictions, classes),
    };
}
