using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.TextClassification;

/// <summary>The text classification candidates, by name (as registered in <see cref="TextTrainers.All"/>), and their settings.</summary>
internal static class TextCandidates
{
    /// <summary>Every candidate name, cheapest first.</summary>
    public static IReadOnlyList<string> Names => [.. TextTrainers.All.Select(t => t.Name)];

    /// <summary>Default settings of <c>gru</c> and <c>lstm</c>: bidirectional, 128 wide, on GPT-2 tokens.</summary>
    public static TorchTextOptions GruDefaults { get; } = new();

    /// <summary>Default settings of <c>transformer</c>: 2 encoder layers, width 128, 4 heads.</summary>
    public static TorchTextOptions TransformerDefaults { get; } = new()
    {
        Width = 128, Depth = 2, Heads = 4, Dropout = 0.1, LearningRate = 1e-3, WeightDecay = 0.01, MaxEpochs = 20, Patience = 4,
    };

    /// <summary>Default settings of <c>minilm-finetune</c>: 128 tokens, learning rate 5e-5, 3 epochs, batch 16.</summary>
    public static TorchTextOptions FinetuneDefaults { get; } = new()
    {
        MaxTokens = 128, Dropout = 0.1, LearningRate = 5e-5, WeightDecay = 0.01, BatchSize = 16, MaxEpochs = 3, Patience = 1,
    };

    /// <summary>Creates the candidate called <paramref name="name"/> with its default settings.</summary>
    /// <exception cref="WorkbenchInputException">The name is unknown.</exception>
    public static ICandidate<TextExamples> Create(string name) =>
        TextTrainers.All.FirstOrDefault(t => t.Name == name)?.CreateDefault(TaskKind.TextClassification)
        ?? throw new WorkbenchInputException($"Unknown text candidate '{name}'; known: {string.Join(", ", Names)}.");

    /// <summary>An n-gram (FeaturizeText) candidate with the given trainer.</summary>
    public static ICandidate<TextExamples> Ngram(TextTrainer trainer, int lightGbmIterations = 200) =>
        new MlNetTextCandidate(TextFeatures.Ngrams, trainer, lightGbmIterations);

    /// <summary>A TorchSharp candidate (<c>gru</c>, <c>transformer</c> or <c>minilm-finetune</c>) with the given settings.</summary>
    public static ICandidate<TextExamples> Torch(TextNetwork network, TorchTextOptions options) => new TorchTextCandidate(network, options);
}
