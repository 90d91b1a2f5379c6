using System.IO.Compression;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Tasks;
using MLWorkbench.Models.MlNet;
using MLWorkbench.Serving;

namespace MLWorkbench.Tests.Bundles;

/// <summary>
/// ML.NET copies predict through a per-copy prediction engine; training scores through a data view. The numbers must be
/// identical, and single rows must predict exactly what batches do.
/// </summary>
public class SingleRowTests
{
    [Theory]
    [InlineData("regression", "sdca")]
    [InlineData("regression", "lightgbm")]
    [InlineData("regression", "fastforest")]
    [InlineData("binary", "sdca")]
    [InlineData("binary", "lightgbm")]
    [InlineData("multiclass", "sdca")]
    [InlineData("multiclass", "fasttree")]
    public async Task The_prediction_engine_gives_exactly_the_data_view_numbers(string task, string trainer)
    {
        using var dir = new TempFolder();
        var saved = task switch
        {
            "regression" => await BundleFixtures.RegressionAsync(dir, trainer),
            "binary" => await OnnxExportTests.BinaryAsync(dir, trainer),
            _ => await BundleFixtures.MulticlassAsync(dir, trainer),
        };
        using var model = WorkbenchModel.Load(saved.Path);
        Assert.Equal(TaskNames.Parse(task), model.Task);
        var rows = saved.Rows;
        var batch = model.PredictBatch(rows);
        for (var r = 0; r < rows.Count; r++)
        {
            var single = model.Predict(rows[r]);
            var want = batch[r].Prediction!;
            Assert.Equal(want.Value, single.Value);
            Assert.Equal(want.PredictedLabel, single.PredictedLabel);
            if (want.Probabilities is not null) Assert.Equal(want.Probabilities, single.Probabilities);
            BundleFixtures.AssertSame(saved, r, single, model.ClassNames);
        }

        byte[] zip;
        using (var bundle = ZipFile.OpenRead(saved.Path))
        using (var entry = bundle.GetEntry("model/mlnet.zip")!.Open())
        using (var copy = new MemoryStream())
        {
            entry.CopyTo(copy);
            zip = copy.ToArray();
        }
        using var serving = MlNetServingModel.Load(zip, model.Task, model.Manifest.FeatureNames.Count);
        var matrix = new FeatureMatrix(rows.SelectMany(model.EncodeFeatures).ToArray(), new float[rows.Count], model.Manifest.FeatureNames, model.ClassNames);
        Assert.True(rows.Count < MlNetServingModel.DataViewRows); // so Predict takes the engine
        var engine = serving.Predict(matrix);
        var dataView = serving.PredictThroughDataView(matrix);
        Assert.Equal(dataView.Values, engine.Values);
        for (var r = 0; r < rows.Count; r++)
            if (dataView.Probabilities is not null) Assert.Equal(dataView.Probabilities[r], engine.Probabilities![r]);
    }

    [Fact]
    public async Task A_lazy_batch_longer_than_a_chunk_predicts_like_single_rows()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "lightgbm");
        using var model = WorkbenchModel.Load(saved.Path);
        var rows = saved.Rows;
        IEnumerable<IReadOnlyDictionary<string, string?>> Lazy()
        {
            // Unknown length: the buffer grows from 64 rows and is flushed every 4,096; every 7th row is bad. Both chunks
            // are large enough for the data view, and must predict what the engine predicts for single rows.
            for (var i = 0; i < 5000; i++)
                yield return i % 7 == 3 ? new Dictionary<string, string?> { ["x1"] = "oops" } : rows[i % rows.Count];
        }
        var results = model.PredictBatch(Lazy());
        Assert.Equal(5000, results.Count);
        var expected = rows.Select(r => model.Predict(r).Value).ToArray();
        for (var i = 0; i < results.Count; i++)
        {
            Assert.Equal(i, results[i].Index);
            if (i % 7 == 3) Assert.Equal("Column 'x1' needs a finite number, not 'oops'.", results[i].Error);
            else Assert.Equal(expected[i % rows.Count], results[i].Prediction!.Value);
        }
    }
}
