using MLWorkbench.Bundles;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.Bundles;

/// <summary>Single rows go through a per-copy prediction engine, batches through a data view: the numbers must be identical.</summary>
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
    public async Task A_single_row_predicts_exactly_what_the_batch_predicts(string task, string trainer)
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
            // Unknown length: the buffer grows from 64 rows and is flushed every 4,096; every 7th row is bad.
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
