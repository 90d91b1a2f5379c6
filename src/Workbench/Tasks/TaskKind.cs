namespace MLWorkbench.Tasks;

/// <summary>The task families MLWorkbench trains models for.</summary>
public enum TaskKind
{
    /// <summary>Predict a number from tabular columns.</summary>
    Regression,
    /// <summary>Predict one of two classes from tabular columns.</summary>
    BinaryClassification,
    /// <summary>Predict one of several classes from tabular columns.</summary>
    MulticlassClassification,
    /// <summary>Predict the class of an image.</summary>
    ImageClassification,
    /// <summary>Predict the class of a text.</summary>
    TextClassification,
    /// <summary>Predict how similar two sentences are (a score).</summary>
    SentenceSimilarity,
}

/// <summary>
/// Names of task kinds, compute devices and number formats as they appear in suite and results files and on the command
/// line.
/// </summary>
public static class TaskNames
{
    /// <summary>The file name of a task kind.</summary>
    public static string ToName(this TaskKind kind) => kind switch
    {
        TaskKind.Regression => "regression",
        TaskKind.BinaryClassification => "binary",
        TaskKind.MulticlassClassification => "multiclass",
        TaskKind.ImageClassification => "image-classification",
        TaskKind.TextClassification => "text-classification",
        TaskKind.SentenceSimilarity => "sentence-similarity",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>True for the classification kinds.</summary>
    public static bool IsClassification(this TaskKind kind) => kind is not (TaskKind.Regression or TaskKind.SentenceSimilarity);

    /// <summary>True for the tabular kinds (regression, binary, multiclass), which the AutoML engine searches.</summary>
    public static bool IsTabular(this TaskKind kind) => kind is TaskKind.Regression or TaskKind.BinaryClassification or TaskKind.MulticlassClassification;

    /// <summary>Parses a task name; null when unknown.</summary>
    public static TaskKind? Parse(string name) => name switch
    {
        "regression" => TaskKind.Regression,
        "binary" => TaskKind.BinaryClassification,
        "multiclass" => TaskKind.MulticlassClassification,
        "image-classification" => TaskKind.ImageClassification,
        "text-classification" => TaskKind.TextClassification,
        "sentence-similarity" => TaskKind.SentenceSimilarity,
        _ => null,
    };

    /// <summary>Every tabular task name (what <c>mlwb automl</c> and tabular suites accept).</summary>
    public static IReadOnlyList<string> All { get; } = ["regression", "binary", "multiclass"];

    /// <summary>Parses <c>auto</c>, <c>cpu</c> or <c>cuda</c>; null when unknown.</summary>
    public static ComputeDevice? ParseDevice(string name) => name switch
    {
        "auto" => ComputeDevice.Auto,
        "cpu" => ComputeDevice.Cpu,
        "cuda" => ComputeDevice.Cuda,
        _ => null,
    };

    /// <summary>Every number format name <see cref="ParsePrecision"/> accepts.</summary>
    public static IReadOnlyList<string> Precisions { get; } = ["auto", "fp32", "bf16", "fp16"];

    /// <summary>Parses <c>auto</c>, <c>fp32</c>, <c>bf16</c> or <c>fp16</c>; null when unknown.</summary>
    public static TrainingPrecision? ParsePrecision(string name) => name switch
    {
        "auto" => TrainingPrecision.Auto,
        "fp32" => TrainingPrecision.Float32,
        "bf16" => TrainingPrecision.BFloat16,
        "fp16" => TrainingPrecision.Float16,
        _ => null,
    };

    /// <summary>The short name (<c>auto</c>, <c>fp32</c>, <c>bf16</c>, <c>fp16</c>).</summary>
    public static string ToName(this TrainingPrecision precision) => precision switch
    {
        TrainingPrecision.Float32 => "fp32",
        TrainingPrecision.BFloat16 => "bf16",
        TrainingPrecision.Float16 => "fp16",
        _ => "auto",
    };
}
