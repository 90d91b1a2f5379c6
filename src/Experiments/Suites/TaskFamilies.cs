using MLWorkbench.AutoML;
using MLWorkbench.Tasks;

namespace MLWorkbench.Cli.Suites;

/// <summary>Which tasks suites can run, the candidate names each task offers, and the suite keys each needs.</summary>
internal static class TaskFamilies
{
    /// <summary>Task names suites accept, in documentation order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. TaskNames.All, "image-classification", "text-classification", "sentence-similarity"];

    /// <summary>The task called <paramref name="name"/> when suites can run it, else null.</summary>
    public static TaskKind? Parse(string name) => TaskNames.Parse(name);

    // The catalogs are immutable: one instance serves every suite.
    private static readonly Workbench Catalogs = new();

    /// <summary>The catalog of a task.</summary>
    public static ITaskCatalog For(TaskKind task) => Catalogs.For(task);

    /// <summary>The candidate names of a task.</summary>
    public static IReadOnlyList<string> CandidateNames(TaskKind task) => Catalogs.For(task).CandidateNames(task);

    /// <summary>True when the task's data needs a label column named in the suite (image folders carry their classes, sentence-pair files their scores).</summary>
    public static bool NeedsLabel(TaskKind task) => task.IsTabular() || task == TaskKind.TextClassification;

    /// <summary>True when the task reads a text column named by the suite's <c>text</c> key.</summary>
    public static bool NeedsText(TaskKind task) => task == TaskKind.TextClassification;

    /// <summary>True when the task takes its test rows from a separate <c>test</c> file when one is given.</summary>
    public static bool AcceptsTestFile(TaskKind task) => !task.IsTabular();

    /// <summary>True when the task takes its validation rows from a separate <c>validation</c> file when one is given.</summary>
    public static bool AcceptsValidationFile(TaskKind task) => task == TaskKind.SentenceSimilarity;

    /// <summary>The search space of candidate <paramref name="name"/> of a task (its settable parameters), or null when it has none.</summary>
    public static SearchSpace? SpaceOf(TaskKind task, string name) => Catalogs.For(task).SpaceOf(task, name);
}
