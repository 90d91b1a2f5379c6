using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Evaluation;

/// <summary>Summarises training labels for the report's baseline (a mean or majority-class predictor learned from training rows only).</summary>
internal static class Baselines
{
    /// <summary>The summary of <paramref name="labels"/> (class indices for classification, values otherwise).</summary>
    public static TrainingBaseline From(TaskKind task, IReadOnlyList<float> labels, int classes)
    {
        if (!task.IsClassification())
            return new TrainingBaseline { Rows = labels.Count, Mean = labels.Count == 0 ? null : labels.Average(v => (double)v) };
        var counts = new int[Math.Max(classes, labels.Count == 0 ? 0 : (int)labels.Max() + 1)];
        foreach (var label in labels) counts[(int)label]++;
        return new TrainingBaseline { Rows = labels.Count, ClassCounts = [.. counts] };
    }
}
