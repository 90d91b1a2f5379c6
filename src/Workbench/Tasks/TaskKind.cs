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
}

/// <summary>Names of task kinds as they appear in suite and results files and on the command line.</summary>
public static class TaskNames
{
    /// <summary>The file name of a task kind.</summary>
    public static string ToName(this TaskKind kind) => kind switch
    {
        TaskKind.Regression => "regression",
        TaskKind.BinaryClassification => "binary",
        TaskKind.MulticlassClassification => "multiclass",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>True for the classification kinds.</summary>
    public static bool IsClassification(this TaskKind kind) => kind != TaskKind.Regression;

    /// <summary>Parses a task name; null when unknown.</summary>
    public static TaskKind? Parse(string name) => name switch
    {
        "regression" => TaskKind.Regression,
        "binary" => TaskKind.BinaryClassification,
        "multiclass" => TaskKind.MulticlassClassification,
        _ => null,
    };

    /// <summary>Every task name this version supports.</summary>
    public static IReadOnlyList<string> All { get; } = ["regression", "binary", "multiclass"];
}
