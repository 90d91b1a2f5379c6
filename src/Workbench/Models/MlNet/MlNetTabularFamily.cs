using MLWorkbench.Bundles;

[assembly: ModelFamily<MLWorkbench.Models.MlNet.MlNetTabularFamily>]

namespace MLWorkbench.Models.MlNet;

/// <summary>The ML.NET tabular family's registration: its bundle format, read into <see cref="MlNetServingModel"/> copies.</summary>
internal sealed class MlNetTabularFamily : IModelFamily
{
    public IEnumerable<ModelFormat> Formats =>
    [
        ModelFormat.Tabular(MlNetServingModel.BundleFormat, "ML.NET model", "an ML.NET native library", bundle =>
        {
            var zip = bundle.Entries.Bytes("mlnet.zip");
            var width = bundle.Featurizer!.FeatureNames.Count;
            return () => MlNetServingModel.Load(zip, bundle.Task, width);
        }),
    ];
}
