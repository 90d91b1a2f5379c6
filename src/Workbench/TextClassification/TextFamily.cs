using MLWorkbench.Bundles;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

[assembly: ModelFamily<MLWorkbench.TextClassification.TextFamily>]

namespace MLWorkbench.TextClassification;

/// <summary>The text classification family's registration: the bundle format of its ML.NET classifiers (MLWorkbench.Torch registers its networks' with <see cref="Serve"/>).</summary>
internal sealed class TextFamily : IModelFamily
{
    public IEnumerable<ModelFormat> Formats =>
    [
        ModelFormat.Examples(MlNetTextModel.BundleFormat, TaskKind.TextClassification, "an ML.NET or ONNX Runtime native library", bundle =>
            Serve(bundle, () => MlNetTextModel.Load(bundle.Entries, bundle.ClassNames.Count))),
    ];

    /// <summary>Serves a text classifier: column <c>text</c> (every text format, in this family or its own, serves the same way).</summary>
    internal static ColumnServing Serve(BundleReading bundle, Func<ITrainedModel<TextExamples>> load)
    {
        var classNames = bundle.ClassNames;
        return new ColumnServing.Serving<string, TextExamples>(load, bundle.Copies, classNames, [TaskColumns.Text],
            values => (values[0], null),
            texts => new TextExamples(texts, new float[texts.Count], classNames),
            () => [TaskColumns.Text, "a short probe text"]);
    }
}
