using MLWorkbench.Bundles;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

[assembly: ModelFamily<MLWorkbench.Similarity.SentencePairFamily>]

namespace MLWorkbench.Similarity;

/// <summary>
/// The sentence-similarity family's registration: the bundle format of its lexical models (MLWorkbench.Onnx
/// registers the zero-shot MiniLM one and MLWorkbench.Torch the fine-tuned ones with <see cref="Serve"/>). MiniLM models are held once (90 MB each),
/// the lexical one copied per core.
/// </summary>
internal sealed class SentencePairFamily : IModelFamily
{
    public IEnumerable<ModelFormat> Formats =>
    [
        ModelFormat.Examples(LexicalModel.BundleFormat, TaskKind.SentenceSimilarity, "an ML.NET native library", bundle =>
            Serve(() => LexicalModel.Load(bundle.Entries), bundle.Copies)),
    ];

    /// <summary>Serves a sentence-similarity model: columns <c>sentence1</c> and <c>sentence2</c>; the prediction's value is the score.</summary>
    internal static ColumnServing Serve(Func<ITrainedModel<SentencePairs>> load, int copies) =>
        new ColumnServing.Serving<(string, string), SentencePairs>(load, copies, null, [TaskColumns.Sentence1, TaskColumns.Sentence2],
            values => ((values[0], values[1]), null),
            pairs => new SentencePairs(pairs.Select(p => p.Item1).ToArray(), pairs.Select(p => p.Item2).ToArray(), new float[pairs.Count], new ScoreRange(0, 1)),
            () => [TaskColumns.Sentence1, "a probe sentence", TaskColumns.Sentence2, "another probe sentence"]);
}
