namespace MLWorkbench.Tasks;

/// <summary>The task families MLWorkbench trains models for.</summary>
public enum TaskKind
{
    /// <summary>Predict a number from tabular columns.</summary>
    Regression,
}

/// <summary>Names of task kinds as they appear in suite and results files.</summary>
public static class TaskNames
{
    /// <summary>The file name of a task kind.</summary>
    public static string ToName(this TaskKind kind) => kind switch
    {
        TaskKind.Regression => "regression",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Parses a task name; null when unknown.</summary>
    public static TaskKind? Parse(string name) => name switch
    {
        "regression" => TaskKind.Regression,
        _ => null,
    };

    /// <summary>Every task name this version supports.</summary>
    public static IReadOnlyList<string> All { get; } = ["regression"];
}
