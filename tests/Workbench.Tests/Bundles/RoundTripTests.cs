using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Tasks;
using MLWorkbench.Serving;

namespace MLWorkbench.Tests.Bundles;

public class RoundTripTests
{
    [Theory]
    [InlineData("regression", "sdca")]
    [InlineData("regression", "lightgbm")]
    [InlineData("regression", "mlp")]
    [InlineData("regression", "linear-gd")]
    [InlineData("multiclass", "lightgbm")]
    [InlineData("multiclass", "mlp")]
    public async Task Predictions_after_load_equal_predictions_before_save(string task, string trainer)
    {
        using var dir = new TempFolder();
        var kind = TaskNames.Parse(task)!.Value;
        var saved = kind == TaskKind.Regression ? await BundleFixtures.RegressionAsync(dir, trainer) : await BundleFixtures.MulticlassAsync(dir, trainer);
        using var model = await WorkbenchModel.LoadAsync(saved.Path);
        var rows = saved.Rows;
        var batch = model.PredictBatch(rows);
        for (var r = 0; r < rows.Count; r++)
        {
            Assert.True(batch[r].Succeeded, batch[r].Error);
            BundleFixtures.AssertSame(saved, r, batch[r].Prediction!, model.ClassNames);
            if (r % 20 == 0) BundleFixtures.AssertSame(saved, r, model.Predict(rows[r]), model.ClassNames);
        }
        Assert.Equal(kind, model.Task);
        Assert.Equal(trainer, model.Manifest.Trainer);
    }

    [Fact]
    public async Task Binary_model_round_trips()
    {
        using var dir = new TempFolder();
        var lines = Enumerable.Range(0, 120).Select(i => $"{i % 7}.5,{i * 37 % 11 - 5},{(i % 7 + i * 37 % 11 > 8 ? "yes-class" : "no-class")}");
        var csv = dir.File("binary.csv", "a,b,c\n" + string.Join("\n", lines) + "\n");
        var saved = await BundleFixtures.TrainAndSaveAsync(dir.Path, csv, "c", TaskKind.BinaryClassification, "sdca");
        using var model = WorkbenchModel.Load(saved.Path);
        Assert.Equal(["no-class", "yes-class"], model.ClassNames);
        var batch = model.PredictBatch(saved.Rows);
        for (var r = 0; r < batch.Count; r++) BundleFixtures.AssertSame(saved, r, batch[r].Prediction!, model.ClassNames);
    }

    [Fact]
    public async Task The_manifest_describes_the_model_and_its_inputs()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.MulticlassAsync(dir, "mlp");
        using var model = WorkbenchModel.Load(saved.Path);
        var m = model.Manifest;
        Assert.Equal(ModelManifest.CurrentFormatVersion, m.FormatVersion);
        Assert.Equal("multiclass", m.Task);
        Assert.Equal("label", model.Label);
        Assert.Equal(["high", "low", "mid"], model.ClassNames);
        Assert.Equal("torch", m.Family);
        Assert.Equal("torch", m.ModelFormat);
        Assert.Equal(saved.Data.Sha256, m.DataSha256);
        Assert.Equal(0.5, m.Metrics.Validation["m"]);
        Assert.Equal(0.25, m.Metrics.Test["m"]);
        Assert.Equal(32L, m.Hyperparameters["width"]);
        Assert.Equal("adamw", m.Hyperparameters["optimizer"]);
        Assert.True(m.Packages.ContainsKey("TorchSharp") && m.Packages.ContainsKey("Microsoft.ML"));
        Assert.False(string.IsNullOrEmpty(m.LibraryVersion));
        Assert.True((DateTimeOffset.UtcNow - m.CreatedUtc).TotalMinutes < 10);
        Assert.Contains(m.Entries, e => e.Name == "model/weights.bin" && e.Sha256.Length == 64);
        Assert.Contains(m.Entries, e => e.Name == "featurizer.json");
        var inputs = model.InputColumns.ToDictionary(c => c.Name);
        Assert.Equal(["x1", "x2", "flag", "day", "colour", "note"], model.InputColumns.Select(c => c.Name));
        Assert.Equal(new ModelInput("x1", ColumnKind.Numeric, true, false), inputs["x1"]);
        Assert.Equal(new ModelInput("x2", ColumnKind.Numeric, true, true), inputs["x2"]);
        Assert.Equal(ColumnKind.Boolean, inputs["flag"].Kind);
        Assert.Equal(ColumnKind.DateTime, inputs["day"].Kind);
        Assert.Equal(ColumnKind.Categorical, inputs["colour"].Kind);
        Assert.Equal(ColumnKind.Text, inputs["note"].Kind);
        Assert.Equal(model.Manifest.FeatureNames.Count, m.FeatureNames.Distinct().Count());
    }

    [Fact]
    public async Task Dropped_columns_are_listed_but_not_required()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        using var model = WorkbenchModel.Load(saved.Path);
        var id = model.InputColumns.Single(c => c.Name == "id");
        Assert.Equal(ColumnKind.Ignored, id.Kind);
        Assert.False(id.Required);
        var row = new Dictionary<string, string?> { ["x1"] = "0.5", ["x2"] = "0", ["x3"] = "0", ["colour"] = "red" };
        Assert.NotNull(model.Predict(row).Value);
    }

    [Fact]
    public async Task Saving_goes_through_a_temporary_file_and_replaces_an_older_bundle()
    {
        using var dir = new TempFolder();
        var first = await BundleFixtures.RegressionAsync(dir, "sdca");
        var second = await BundleFixtures.RegressionAsync(dir, "lightgbm"); // same path: replaces the first
        Assert.Equal(first.Path, second.Path);
        using var model = WorkbenchModel.Load(second.Path);
        Assert.Equal("lightgbm", model.Manifest.Trainer);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }
}
