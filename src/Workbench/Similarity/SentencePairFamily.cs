using MLWorkbench.Bundles;
using MLWorkbench.Tasks;

[assembly: ModelFamily(typeof(MLWorkbench.Similarity.SentencePairFamily))]

namespace MLWorkbench.Similarity;

/// <summary>
/// The sentence-similarity family's registration: the bundle formats of its lexical and MiniLM models. The MiniLM ones
/// are held once (90 MB each), the lexical one copied per core.
/// </summary>
internal sealed class SentencePairFamily : IModelFamily
{
    private const string Torch = "TorchSharp's native library (libtorch)";

    public IEnumerable<ModelFormat> Formats =>
    [
        ModelFormat.Examples(LexicalModel.BundleFormat, TaskKind.SentenceSimilarity, "an ML.NET native library", bundle =>
            ExampleServing.Pairs(LexicalModel.Load(bundle.Entries), () => LexicalModel.Load(bundle.Entries), bundle.Copies)),
        ModelFormat.Examples(MiniLmZeroShotCandidate.BundleFormat, TaskKind.SentenceSimilarity, "ONNX Runtime's native library", bundle =>
            ExampleServing.Pairs(MiniLmZeroShotCandidate.Load(bundle.Entries))),
        ModelFormat.Examples(MiniLmBiEncoderCandidate.BundleFormat, TaskKind.SentenceSimilarity, Torch, bundle =>
            ExampleServing.Pairs(MiniLmBiEncoderCandidate.Load(bundle.Entries))),
        ModelFormat.Examples(MiniLmCrossEncoderCandidate.BundleFormat, TaskKind.SentenceSimilarity, Torch, bundle =>
            ExampleServing.Pairs(MiniLmCrossEncoderCandidate.Load(bundle.Entries))),
    ];
}
