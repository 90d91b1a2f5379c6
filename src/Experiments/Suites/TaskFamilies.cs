using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Cli.Suites;

/// <summary>Which tasks suites can run, and the candidate names each task offers.</summary>
internal static class TaskFamilies
{
    /// <summary>Task names suites accept, in documentation order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. TaskNames.All, "image-classification"];

    /// <summary>The task called <paramref name="name"/> when suites can run it, else null.</summary>
    public static TaskKind? Parse(string name) =>
        TaskNames.Parse(name) is { } task && (task.IsTabular() || task == TaskKind.ImageClassification) ? task : null;

    /// <summary>The candidate names of a task.</summary>
    public static IReadOnlyList<string> CandidateNames(TaskKind task) => task switch
    {
        TaskKind.ImageClassification => ImageCandidates.Names,
        _ => TrainerCatalog.NamesFor(task),
    };

    /// <summary>True when the task's data needs a label column named in the suite (image folders carry their classes).</summary>
    public static bool NeedsLabel(TaskKind task) => task.IsTabular() || task == TaskKind.TextClassification;
}
