using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLWorkbench.Bundles;
using MLWorkbench.Tasks;
using MLWorkbench.Models.MlNet;
using MLWorkbench.Serving;

namespace MLWorkbench.Tests.Bundles;

public class OnnxExportTests
{
    /// <summary>The stated parity tolerance: 1e-4 relative, with an absolute floor of 1e-5 for values near zero.</summary>
    private static void AssertClose(float mlnet, float onnx, string what) =>
        Assert.True(Math.Abs(onnx - mlnet) <= 1e-5 + 1e-4 * Math.Abs(mlnet), $"{what}: ML.NET {mlnet}, ONNX Runtime {onnx}");

    internal static Task<SavedModel> BinaryAsync(TempFolder dir, string trainer)
    {
        var lines = Enumerable.Range(0, 120).Select(i => $"{i % 7}.5,{i * 37 % 11 - 5},{(i % 7 + i * 37 % 11 > 8 ? "yes-class" : "no-class")}");
        var csv = dir.File("binary.csv", "a,b,c\n" + string.Join("\n", lines) + "\n");
        return BundleFixtures.TrainAndSaveAsync(dir.Path, csv, "c", TaskKind.BinaryClassification, trainer);
    }

    private static Task<SavedModel> TrainAsync(TempFolder dir, string task, string trainer) => task switch
    {
        "regression" => BundleFixtures.RegressionAsync(dir, trainer),
        "binary" => BinaryAsync(dir, trainer),
        _ => BundleFixtures.MulticlassAsync(dir, trainer),
    };

    [Theory]
    [InlineData("regression", "sdca")]
    [InlineData("regression", "lightgbm")]
    [InlineData("binary", "sdca")]
    [InlineData("binary", "lightgbm")]
    [InlineData("multiclass", "sdca")]
    [InlineData("multiclass", "lightgbm")]
    [InlineData("multiclass", "fasttree")] // one-versus-all: scores normalized after the graph
    public async Task Onnx_runtime_predicts_what_mlnet_predicts(string task, string trainer)
    {
        using var dir = new TempFolder();
        var saved = await TrainAsync(dir, task, trainer);
        using var model = WorkbenchModel.Load(saved.Path);
        var onnxPath = Path.Combine(dir.Path, "out", "model.onnx");
        var export = await model.ExportOnnxAsync(onnxPath);
        Assert.Equal(onnxPath, export.Path);
        Assert.Equal(model.Manifest.FeatureNames, export.FeatureNames);
        Assert.True(export.LargestDifference < 1e-3);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(onnxPath)!, "*.tmp"));

        // The featurizer runs in .NET; the graph takes its feature vectors.
        var rows = saved.Rows;
        var features = rows.SelectMany(model.EncodeFeatures).ToArray();
        using var session = new InferenceSession(onnxPath);
        var input = new DenseTensor<float>(features, [rows.Count, export.FeatureNames.Count]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, input)]);
        var output = results.Single(r => r.Name == export.OutputName).AsTensor<float>().ToArray();
        var expected = model.PredictBatch(rows);
        var classes = model.ClassNames;
        for (var r = 0; r < rows.Count; r++)
        {
            var want = expected[r].Prediction!;
            switch (model.Task)
            {
                case TaskKind.Regression:
                    AssertClose(want.Value!.Value, output[r], $"row {r}");
                    break;
                case TaskKind.BinaryClassification:
                    AssertClose(want.Probabilities![classes![1]], output[r], $"row {r}");
                    break;
                default:
                    var scores = output.AsSpan(r * classes!.Count, classes.Count).ToArray();
                    var sum = scores.Sum(s => Math.Max(s, 0));
                    for (var c = 0; c < classes.Count; c++)
                        AssertClose(want.Probabilities![classes[c]], Math.Max(scores[c], 0) / sum, $"row {r} class {classes[c]}");
                    break;
            }
        }
    }

    [Fact]
    public async Task Unsupported_models_get_a_clear_error_and_no_file()
    {
        using var dir = new TempFolder();
        var gam = await BundleFixtures.RegressionAsync(dir, "gam");
        using (var model = WorkbenchModel.Load(gam.Path))
        {
            var e = await Assert.ThrowsAsync<NotSupportedException>(() => model.ExportOnnxAsync(Path.Combine(dir.Path, "gam.onnx")));
            Assert.Equal("The gam regression model cannot be exported to ONNX: ML.NET's ONNX converter does not support it (unsupported trainers: gam).", e.Message);
        }
        Assert.False(File.Exists(Path.Combine(dir.Path, "gam.onnx")));

        var mlp = await BundleFixtures.TrainAndSaveAsync(dir.Path, Synthetic.LinearCsv(dir.Path, 60), "y", TaskKind.Regression, "mlp", "mlp.mlwb");
        using var torch = WorkbenchModel.Load(mlp.Path);
        var t = await Assert.ThrowsAsync<NotSupportedException>(() => torch.ExportOnnxAsync(Path.Combine(dir.Path, "mlp.onnx")));
        Assert.Contains("is a TorchSharp network (mlp); only ML.NET pipelines can be exported to ONNX.", t.Message);
    }
}
