using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Experiments;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;

namespace MLWorkbench.Cli.Suites;

/// <summary>Which tasks suites can run, the candidate names each task offers, and the suite keys each needs.</summary>
internal static class TaskFamilies
{
    /// <summary>Task names suites accept, in documentation order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. TaskNames.All, "image-classification", "text-classification", "sentence-similarity"];

    /// <summary>The task called <paramref name="name"/> when suites can run it, else null.</summary>
    public static TaskKind? Parse(string name) => TaskNames.Parse(name);

    /// <summary>The candidate names of a task.</summary>
    public static IReadOnlyList<string> CandidateNames(TaskKind task) => task switch
    {
        TaskKind.ImageClassification => ImageCandidates.Names,
        TaskKind.TextClassification => TextCandidates.Names,
        TaskKind.SentenceSimilarity => SimilarityCandidates.Names,
        _ => TrainerCatalog.NamesFor(task),
    };

    /// <summary>True when the task's data needs a label column named in the suite (image folders carry their classes, sentence-pair files their scores).</summary>
    public static bool NeedsLabel(TaskKind task) => task.IsTabular() || task == TaskKind.TextClassification;

    /// <summary>True when the task reads a text column named by the suite's <c>text</c> key.</summary>
    public static bool NeedsText(TaskKind task) => task == TaskKind.TextClassification;

    /// <summary>True when the task takes its test rows from a separate <c>test</c> file when one is given.</summary>
    public static bool AcceptsTestFile(TaskKind task) => !task.IsTabular();

    /// <summary>True when the task takes its validation rows from a separate <c>validation</c> file when one is given.</summary>
    public static bool AcceptsValidationFile(TaskKind task) => task == TaskKind.SentenceSimilarity;

    /// <summary>The search space of candidate <paramref name="name"/> of a task (its settable parameters), or null when it has none.</summary>
    public static SearchSpace? SpaceOf(TaskKind task, string name) => task switch
    {
        TaskKind.ImageClassification => ImageTrainers.All.FirstOrDefault(t => t.Name == name)?.Space(task),
        TaskKind.TextClassification => TextTrainers.All.FirstOrDefault(t => t.Name == name)?.Space(task),
        TaskKind.SentenceSimilarity => SimilarityTrainers.All.FirstOrDefault(t => t.Name == name)?.Space(task),
        _ => TrainerCatalog.Find(name) is { } t && t.Tasks.Contains(task) ? t.Space(task) : null,
    };

    /// <summary>
    /// The candidates of an image, text or pair experiment: those named (or every registered one), each with its suite
    /// settings when it has some, else with its defaults.
    /// </summary>
    public static IReadOnlyList<ICandidate<TData>> Candidates<TData>(ExperimentSpec spec, IReadOnlyList<TrainerDefinition<TData>> trainers)
        where TData : ILabelledData =>
        (spec.Candidates.Count == 0 ? trainers.Select(t => t.Name) : spec.Candidates)
        .Select(n => trainers.First(t => t.Name == n) is var trainer && spec.CandidateSettings.TryGetValue(n, out var values)
            ? trainer.Create(spec.Task, values) : trainer.CreateDefault(spec.Task))
        .ToArray();
}
