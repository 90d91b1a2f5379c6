using MLWorkbench.Bundles;

[assembly: ModelFamily<MLWorkbench.Models.Torch.TorchTabularFamily>]

namespace MLWorkbench.Models.Torch;

/// <summary>The TorchSharp tabular family's registration: its bundle format, read into <see cref="TorchTabularModel"/> copies on the CPU.</summary>
internal sealed class TorchTabularFamily : IModelFamily
{
    public IEnumerable<ModelFormat> Formats =>
    [
        ModelFormat.Tabular(TorchTabularModel.BundleFormat, "TorchSharp network", "TorchSharp's native library (libtorch)", bundle =>
        {
            // Read once: every copy is built from the same settings and weights.
            var state = bundle.Entries.Json<TorchModelState>("torch.json");
            var weights = bundle.Entries.Bytes("weights.bin");
            return () => TorchTabularModel.Load(state, weights, bundle.Task);
        }),
    ];
}
