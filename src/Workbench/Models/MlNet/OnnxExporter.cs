using MLWorkbench.Data;
using MLWorkbench.Tasks;
using MLWorkbench.Bundles;
using MLWorkbench.Serving;

namespace MLWorkbench.Models.MlNet;

/// <summary>
/// Converts the ML.NET part of a bundle (feature vector → scores) to ONNX with Microsoft.ML.OnnxConverter, then runs
/// the graph in ONNX Runtime (MLWorkbench.Onnx's <see cref="IOnnxRunner"/>) on probe rows and refuses the export unless it reproduces ML.NET's outputs within
/// <see cref="Tolerance"/>: a converter that silently drops or changes a step is caught here, not in production.
/// </summary>
internal static class OnnxExporter
{
    /// <summary>Largest accepted difference: <c>|onnx − mlnet| ≤ 1e-5 + 1e-4·|mlnet|</c> (1e-4 relative, with an absolute floor for values near zero).</summary>
    public const string Tolerance = "|onnx - mlnet| <= 1e-5 + 1e-4 * |mlnet|";

    private const int ProbeRows = 64;

    /// <summary>Trainers whose models ML.NET's converter cannot write (checked against every trainer in the catalog).</summary>
    public static IReadOnlyList<string> Unsupported { get; } = ["gam"];

    public static bool WithinTolerance(float onnx, float mlnet) => Math.Abs(onnx - mlnet) <= 1e-5 + 1e-4 * Math.Abs(mlnet);

    /// <summary>The ONNX graph's output that carries the prediction, by task.</summary>
    public static string OutputName(TaskKind task) => task == TaskKind.BinaryClassification ? "Probability.output" : "Score.output";

    /// <summary>Converts and checks; returns the ONNX bytes and the largest difference seen on the probe rows.</summary>
    /// <exception cref="NotSupportedException">The model cannot be converted, or the converted graph does not reproduce it.</exception>
    public static (byte[] Onnx, double LargestDifference) Convert(MlNetServingModel model, ModelManifest manifest, TaskKind task, IReadOnlyList<string> featureNames, IReadOnlyList<string>? classNames)
    {
        byte[] onnx;
        try
        {
            using var stream = new MemoryStream();
            model.ConvertToOnnx(stream);
            onnx = stream.ToArray();
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw new NotSupportedException(
                $"The {manifest.Trainer} {manifest.Task} model cannot be exported to ONNX: ML.NET's ONNX converter does not support it (unsupported trainers: {string.Join(", ", Unsupported)}).", e);
        }

        var probe = ProbeMatrix(featureNames, classNames);
        var expected = model.RawOutputs(probe);
        // ONNX Runtime is MLWorkbench.Onnx's: without it the export could not be checked, so it is not written.
        var runner = ExtensionRegistry.Default.OnnxRunner ?? throw new NotSupportedException(
            $"Exporting to ONNX needs the {ExtensionRegistry.OnnxPackage} package, whose ONNX Runtime checks the graph: add <PackageReference Include=\"{ExtensionRegistry.OnnxPackage}\" /> to the application's project.");
        float[] actual;
        try
        {
            actual = runner.Run(onnx, OnnxExport.InputName, probe.Values, probe.Rows, probe.Columns, OutputName(task));
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"The ONNX graph converted from the {manifest.Trainer} model cannot be checked: {e.Message}", e);
        }

        var width = expected[0].Length;
        if (actual.Length != expected.Length * width)
            throw new NotSupportedException($"The ONNX graph of the {manifest.Trainer} model gives {actual.Length} values for {expected.Length} rows, not {width} per row.");
        double largest = 0;
        for (var r = 0; r < expected.Length; r++)
        for (var c = 0; c < width; c++)
        {
            float want = expected[r][c], got = actual[r * width + c];
            largest = Math.Max(largest, Math.Abs(got - want));
            if (!WithinTolerance(got, want))
                throw new NotSupportedException(
                    $"The ONNX graph converted from the {manifest.Trainer} model does not reproduce it: probe row {r} gives {got} in ONNX Runtime and {want} in ML.NET (tolerance {Tolerance}).");
        }
        return (onnx, largest);
    }

    /// <summary>Seeded rows over the features: zeros, ones, and values in [-1, 3) — enough to exercise every weight and many tree paths.</summary>
    private static FeatureMatrix ProbeMatrix(IReadOnlyList<string> featureNames, IReadOnlyList<string>? classNames)
    {
        var random = new Random(20240531);
        var values = new float[ProbeRows * featureNames.Count];
        for (var i = featureNames.Count; i < values.Length; i++)
            values[i] = i < 2 * featureNames.Count ? 1f : (float)(random.NextDouble() * 4 - 1);
        return new FeatureMatrix(values, new float[ProbeRows], featureNames, classNames);
    }
}

/// <summary>
/// An ONNX file written by <see cref="WorkbenchModel.ExportOnnxAsync"/>, and how to call it. The graph covers the
/// ML.NET part of the pipeline only — feature vector in, scores out. The featurizer (the bundle's
/// <c>featurizer.json</c>: parsing, missing-value indicators, one-hot and hashed categories, text buckets, dates) runs
/// in .NET before it, so an ONNX consumer must build the same <see cref="FeatureNames"/> vector itself.
/// </summary>
/// <param name="Path">The file written.</param>
/// <param name="FeatureNames">The columns of the input tensor <see cref="InputName"/> (<c>float[N, FeatureNames.Count]</c>), in order.</param>
/// <param name="OutputName">
/// The output that carries the prediction: <c>Score.output</c> (<c>float[N, 1]</c>: the value) for regression;
/// <c>Probability.output</c> (<c>float[N, 1]</c>: the probability of the second class in <see cref="ClassNames"/>) for
/// binary classification; <c>Score.output</c> (<c>float[N, classes]</c>, in <see cref="ClassNames"/> order) for
/// multiclass, where MLWorkbench's probabilities are these scores with negatives set to zero, divided by their sum (a
/// no-op for LightGBM and maximum-entropy models, whose scores already sum to one) and the predicted class is the largest.
/// </param>
/// <param name="ClassNames">Class names in the model's order (classification); null for regression.</param>
/// <param name="LargestDifference">The largest absolute difference between ONNX Runtime and ML.NET on the probe rows checked at export.</param>
public sealed record OnnxExport(string Path, IReadOnlyList<string> FeatureNames, string OutputName, IReadOnlyList<string>? ClassNames, double LargestDifference)
{
    /// <summary>The name of the graph's input tensor.</summary>
    public const string InputName = "Features";

    /// <summary>How closely the export was checked to agree with ML.NET on probe rows.</summary>
    public const string Tolerance = OnnxExporter.Tolerance;
}
