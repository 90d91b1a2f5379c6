using MLWorkbench.AutoML;
using MLWorkbench.Bundles;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.TextClassification;

/// <summary>
/// The text classification candidates, registered once: each with its search space (learning rate, epochs, sequence
/// length, sizes) and a starting point that is its default (networks are made cheap by successive halving over their
/// epochs, not by a weak start). Comparisons offer them all (<see cref="TextCandidates"/>); a search tries the defaults
/// of <see cref="Portfolio"/> first and leaves <c>nasbert</c> out unless it is named: it runs only where its weight files exist.
/// </summary>
internal static class TextTrainers
{
    /// <summary>
    /// The trainers whose defaults a search over every trainer tries first, before the sampler: the n-gram linear models
    /// (seconds, hard to beat on topic-like tasks; <c>ngram-svm</c>'s word and character n-grams the strongest of them)
    /// and the fine-tuned MiniLM (skipped where its weights are missing).
    /// </summary>
    public static IReadOnlyList<string> Portfolio { get; } = ["ngram-sdca", "ngram-lbfgs", "ngram-svm", "minilm-finetune"];

    /// <summary>Every text trainer, cheapest first.</summary>
    public static IReadOnlyList<TrainerDefinition<TextExamples>> All { get; } =
    [
        Fixed("ngram-sdca", ModelFamily.MlNet, 1, () => TextCandidates.Ngram(TextTrainer.Sdca)),
        Fixed("ngram-lbfgs", ModelFamily.MlNet, 1, () => TextCandidates.Ngram(TextTrainer.Lbfgs)),
        NgramSvmCandidate.Definition,
        new("ngram-lightgbm", ModelFamily.MlNet, TaskKind.TextClassification,
            new SearchSpace("ngram-lightgbm", [new IntDomain("iterations", 50, 600, Log: true)], SearchPoint.Of(("iterations", 100)), 3),
            values => TextCandidates.Ngram(TextTrainer.LightGbm, new ParameterValues(values).Int("iterations") ?? 200)),
        // MiniLM embeddings into L-BFGS and k-nearest neighbours, when MLWorkbench.Onnx is referenced; then the TorchSharp
        // networks (gru, lstm, transformer, minilm-finetune, nasbert), when MLWorkbench.Torch is.
        .. ExtensionRegistry.Default.Trainers<TextExamples>(),
    ];

    // SDCA and L-BFGS over n-grams run with ML.NET's settings: one trial tells all.
    private static TrainerDefinition<TextExamples> Fixed(string name, ModelFamily family, double cost, Func<ICandidate<TextExamples>> create) =>
        new(name, family, TaskKind.TextClassification, new SearchSpace(name, [], SearchPoint.Of(), cost), _ => create());
}
