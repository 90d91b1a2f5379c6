using MLWorkbench.Bundles;
using MLWorkbench.Tasks;

[assembly: ModelFamily(typeof(MLWorkbench.TextClassification.TextFamily))]

namespace MLWorkbench.TextClassification;

/// <summary>The text classification family's registration: the bundle formats of its ML.NET and TorchSharp classifiers.</summary>
internal sealed class TextFamily : IModelFamily
{
    public IEnumerable<ModelFormat> Formats =>
    [
        ModelFormat.Examples(MlNetTextModel.BundleFormat, TaskKind.TextClassification, "an ML.NET or ONNX Runtime native library", bundle =>
            ExampleServing.Texts(MlNetTextModel.Load(bundle.Entries, bundle.ClassNames.Count), bundle.ClassNames,
                () => MlNetTextModel.Load(bundle.Entries, bundle.ClassNames.Count), bundle.Copies)),
        ModelFormat.Examples(TorchTextModel.BundleFormat, TaskKind.TextClassification, "TorchSharp's native library (libtorch)", bundle =>
            ExampleServing.Texts(TorchTextModel.Load(bundle.Entries, bundle.ClassNames.Count), bundle.ClassNames,
                () => TorchTextModel.Load(bundle.Entries, bundle.ClassNames.Count), bundle.Copies)),
    ];
}
