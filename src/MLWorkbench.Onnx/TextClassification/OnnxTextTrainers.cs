using MLWorkbench.AutoML;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.TextClassification;

/// <summary>
/// The MiniLM text candidates (its embeddings into the core's ML.NET L-BFGS, and k-nearest neighbours on them),
/// registered by <see cref="OnnxExtension"/> after the core's n-gram trainers.
/// </summary>
internal static class OnnxTextCandidates
{
    /// <summary>Every MiniLM text trainer, in the order the text catalog lists them.</summary>
    public static IReadOnlyList<TrainerDefinition<TextExamples>> All { get; } =
    [
        new("minilm-embeddings", ModelFamily.Onnx, TaskKind.TextClassification,
            new SearchSpace("minilm-embeddings", [new ChoiceDomain("maxTokens", ["64", "128", "256"])], SearchPoint.Of(("maxTokens", "128")), 20),
            values => new MlNetTextCandidate(TextFeatures.MiniLm, TextTrainer.Lbfgs, maxTokens: new ParameterValues(values).Int("maxTokens") ?? 128)),
        MiniLmNeighboursCandidate.Definition,
    ];
}
