using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Images;

/// <summary>The image classification candidates, by name (as registered in <see cref="ImageTrainers.All"/>), and their settings.</summary>
internal static class ImageCandidates
{
    /// <summary>Every candidate name, cheapest first.</summary>
    public static IReadOnlyList<string> Names => [.. ImageTrainers.All.Select(t => t.Name)];

    /// <summary>Creates the candidate called <paramref name="name"/> with its default settings.</summary>
    /// <exception cref="WorkbenchInputException">The name is unknown.</exception>
    public static ICandidate<ImageExamples> Create(string name) =>
        ImageTrainers.All.FirstOrDefault(t => t.Name == name)?.CreateDefault(TaskKind.ImageClassification)
        ?? throw new WorkbenchInputException($"Unknown image candidate '{name}'; known: {string.Join(", ", Names)}.");
}
