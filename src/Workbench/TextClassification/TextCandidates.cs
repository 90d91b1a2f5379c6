using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.TextClassification;

/// <summary>The text classification candidates, by name (as registered in <see cref="TextTrainers.All"/>), and their settings.</summary>
internal static class TextCandidates
{
    /// <summary>Every candidate name, cheapest first.</summary>
    public static IReadOnlyList<string> Names => [.. TextTrainers.All.Select(t => t.Name)];

    /// <summary>Creates the candidate called <paramref name="name"/> with its default settings.</summary>
    /// <exception cref="WorkbenchInputException">The name is unknown.</exception>
    public static ICandidate<TextExamples> Create(string name) =>
        TextTrainers.All.FirstOrDefault(t => t.Name == name)?.CreateDefault(TaskKind.TextClassification)
        ?? throw new WorkbenchInputException($"Unknown text candidate '{name}'; known: {string.Join(", ", Names)}.");

    /// <summary>An n-gram (FeaturizeText) candidate with the given trainer.</summary>
    public static ICandidate<TextExamples> Ngram(TextTrainer trainer, int lightGbmIterations = 200) =>
        new MlNetTextCandidate(TextFeatures.Ngrams, trainer, lightGbmIterations);
}
