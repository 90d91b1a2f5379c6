using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Similarity;

/// <summary>The sentence-similarity candidates, by name (as registered in <see cref="SimilarityTrainers.All"/>), and their settings.</summary>
internal static class SimilarityCandidates
{
    /// <summary>Every candidate name, cheapest first.</summary>
    public static IReadOnlyList<string> Names => [.. SimilarityTrainers.All.Select(t => t.Name)];

    /// <summary>Creates the candidate called <paramref name="name"/> with its default settings.</summary>
    /// <exception cref="WorkbenchInputException">The name is unknown.</exception>
    public static ICandidate<SentencePairs> Create(string name) =>
        SimilarityTrainers.All.FirstOrDefault(t => t.Name == name)?.CreateDefault(TaskKind.SentenceSimilarity)
        ?? throw new WorkbenchInputException($"Unknown sentence-similarity candidate '{name}'; known: {string.Join(", ", Names)}.");

    /// <summary>Lexical features into an ML.NET boosted-tree regression (<c>lexical-fasttree</c>, <c>lexical-lightgbm</c>).</summary>
    public static ICandidate<SentencePairs> Lexical(LexicalTrainer trainer, LexicalOptions options) => new LexicalCandidate(trainer, options);
}
