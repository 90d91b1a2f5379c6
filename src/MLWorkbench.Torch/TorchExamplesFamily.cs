using MLWorkbench.Bundles;
using MLWorkbench.Models.Torch;
using MLWorkbench.Images;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;

[assembly: ModelFamily<MLWorkbench.TorchExamplesFamily>]

namespace MLWorkbench;

/// <summary>
/// The bundle formats of the TorchSharp image, text and sentence-pair networks, served as the core serves its own models
/// of those tasks (<see cref="ImageServing.Serve"/>, <see cref="TextFamily.Serve"/>, <see cref="SentencePairFamily.Serve"/>).
/// </summary>
internal sealed class TorchExamplesFamily : IModelFamily
{
    private const string Torch = "TorchSharp's native library (libtorch)";

    public IEnumerable<ModelFormat> Formats =>
    [
        ModelFormat.Examples(TorchImageModel.BundleFormat, TaskKind.ImageClassification, Torch, bundle =>
        {
            // The network's input channels (1 or 3) decide how rows' images are decoded.
            var first = TorchImageModel.Load(bundle.Entries, bundle.ClassNames.Count);
            return ImageServing.Serve(bundle, () => TorchImageModel.Load(bundle.Entries, bundle.ClassNames.Count), first.Channels, first);
        }),
        ModelFormat.Examples(TorchTextModel.BundleFormat, TaskKind.TextClassification, Torch, bundle =>
            TextFamily.Serve(bundle, () => TorchTextModel.Load(bundle.Entries, bundle.ClassNames.Count))),
        ModelFormat.Examples(MiniLmBiEncoderCandidate.BundleFormat, TaskKind.SentenceSimilarity, Torch, bundle =>
            SentencePairFamily.Serve(() => MiniLmBiEncoderCandidate.Load(bundle.Entries), copies: 1)),
        ModelFormat.Examples(MiniLmCrossEncoderCandidate.BundleFormat, TaskKind.SentenceSimilarity, Torch, bundle =>
            SentencePairFamily.Serve(() => MiniLmCrossEncoderCandidate.Load(bundle.Entries), copies: 1)),
    ];
}
