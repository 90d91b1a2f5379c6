using System.Globalization;
using MLWorkbench.AutoML;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Search;
using MLWorkbench.Serving;

namespace MLWorkbench.Tests.Bundles;

public class PredictCommandTests
{

    private static string[][] ReadCsv(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split(',')).ToArray();

    [Fact]
    public async Task Automl_saves_the_final_model_and_predict_uses_it()
    {
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 150);
        var outDir = Path.Combine(dir.Path, "automl");
        // The exit code also covers the report renderer, which a build without it lacks: the model is written before it runs.
        await MlwbCommand.RunAsync("automl", "--task", "regression", "--train", data, "--label", "y", "--trials", "2", "--folds", "2",
            "--trainers", "sdca", "--out", outDir);
        var modelPath = Path.Combine(outDir, "model.mlwb");
        Assert.True(File.Exists(modelPath));
        Assert.Equal(modelPath, ResultsFile.Read(Path.Combine(outDir, "results.json")).Experiments.Single().AutoML!.ModelPath);

        // No label column; row 2 has a bad number.
        var input = dir.File("new.csv", "id,x1,x2,x3,colour\na,0.5,0.1,0.2,red\nb,oops,0.1,0.2,blue\nc,-0.5,0.3,0.1,green\n");
        var preds = Path.Combine(dir.Path, "out", "preds.csv");
        var (code, output, error) = await MlwbCommand.RunAsync("predict", modelPath, input, "--out", preds);
        Assert.True(code == 0, error);
        Assert.Contains("2 of 3 rows predicted", output);
        Assert.Equal("1 of 3 rows could not be predicted; the error column says why.", error.Trim());
        var written = TabularData.LoadCsv(preds);
        Assert.Equal(["id", "x1", "x2", "x3", "colour", "predicted", "error"], written.ColumnNames);
        Assert.Equal(3, written.Rows.Count);
        using var model = WorkbenchModel.Load(modelPath);
        var expected = model.Predict(new Dictionary<string, string?> { ["x1"] = "0.5", ["x2"] = "0.1", ["x3"] = "0.2", ["colour"] = "red" }).Value!.Value;
        Assert.Equal(expected, float.Parse(written.Rows[0][5], CultureInfo.InvariantCulture), 1e-6);
        Assert.Equal("", written.Rows[0][6]);
        Assert.Equal("", written.Rows[1][5]);
        Assert.Equal("Column 'x1' needs a finite number, not 'oops'.", written.Rows[1][6]);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(preds)!, "*.tmp"));

        (code, output, _) = await MlwbCommand.RunAsync("predict", modelPath, input);
        Assert.Equal(0, code);
        Assert.Equal(File.ReadAllText(preds), output);
    }

    [Fact]
    public async Task Classifier_predictions_have_a_probability_column_per_class()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.MulticlassAsync(dir, "lightgbm");
        var (code, output, error) = await MlwbCommand.RunAsync("predict", saved.Path, saved.Data.Path);
        Assert.True(code == 0, error);
        var rows = ReadCsv(output);
        Assert.Equal(["x1", "x2", "flag", "day", "colour", "note", "label", "predicted", "probability", "probability_high", "probability_low", "probability_mid", "error"],
            rows[0]);
        Assert.Equal(saved.Data.Rows.Count + 1, rows.Length);
        using var model = WorkbenchModel.Load(saved.Path);
        for (var r = 0; r < saved.Data.Rows.Count; r++)
            Assert.Equal(model.ClassNames![(int)saved.Before.Values[r]], rows[r + 1][7]);
    }

    [Fact]
    public async Task A_prediction_column_name_taken_by_the_input_gets_an_underscore()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var input = dir.File("in.csv", "x1,x2,x3,colour,predicted\n0.1,0.2,0.3,red,old\n");
        var (code, output, _) = await MlwbCommand.RunAsync("predict", saved.Path, input);
        Assert.Equal(0, code);
        Assert.StartsWith("x1,x2,x3,colour,predicted,predicted_,error", output);
    }

    [Fact]
    public async Task Formula_leading_fields_are_neutralised_and_numbers_kept()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        // Issue 16: '=1+1' was copied unchanged, so a spreadsheet opening the predictions would run it.
        var input = dir.File("in.csv", "x1,x2,x3,colour,@note\n-0.5,+0.25,1e-3,=1+1,-2+3\n0.5,-1.5,0.3,@SUM(A1),plain\n");
        var (code, output, error) = await MlwbCommand.RunAsync("predict", saved.Path, input);
        Assert.True(code == 0, error);
        var rows = ReadCsv(output);
        Assert.Equal(["x1", "x2", "x3", "colour", "'@note", "predicted", "error"], rows[0]);
        Assert.Equal(["-0.5", "+0.25", "1e-3", "'=1+1", "'-2+3"], rows[1][..5]);
        Assert.Equal(["0.5", "-1.5", "0.3", "'@SUM(A1)", "plain"], rows[2][..5]);
        // Predictions stay numbers, negative ones included.
        Assert.All(rows.Skip(1), r => Assert.True(double.TryParse(r[5], System.Globalization.NumberStyles.Float, CultureInfo.InvariantCulture, out _), r[5]));
    }

    [Fact]
    public async Task Missing_or_damaged_model_or_input_exits_2_with_one_sentence()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var input = dir.File("in.csv", "x1,x2,x3,colour\n0.1,0.2,0.3,red\n");

        var (code, _, error) = await MlwbCommand.RunAsync("predict", Path.Combine(dir.Path, "none.mlwb"), input);
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        (code, _, error) = await MlwbCommand.RunAsync("predict", saved.Path, Path.Combine(dir.Path, "none.csv"));
        Assert.Equal(2, code);
        Assert.Contains("Data file", error);

        var lacking = dir.File("lacking.csv", "x1,x2,colour\n0.1,0.2,red\n");
        (code, _, error) = await MlwbCommand.RunAsync("predict", saved.Path, lacking);
        Assert.Equal(2, code);
        Assert.Equal($"Input file '{lacking}' lacks column 'x3' that the model needs.", error.Trim());

        var bytes = await File.ReadAllBytesAsync(saved.Path);
        await File.WriteAllBytesAsync(saved.Path, bytes[..(bytes.Length / 3)]);
        var target = Path.Combine(dir.Path, "preds.csv");
        (code, _, error) = await MlwbCommand.RunAsync("predict", saved.Path, input, "--out", target);
        Assert.Equal(2, code);
        Assert.Contains("is damaged or truncated", error);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task The_study_saves_the_final_model_it_scored()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(BundleFixtures.MulticlassCsv(dir.Path, 200));
        var rows = Enumerable.Range(0, data.Rows.Count).ToArray();
        var modelPath = Path.Combine(dir.Path, "final", "model.mlwb");
        var options = new AutoMLOptions
        {
            Task = TaskKind.MulticlassClassification, Label = "label", Folds = 2, BudgetSeconds = null, MaxTrials = 2, Seed = 3,
            Trainers = ["lightgbm"], Device = Tasks.ComputeDevice.Cpu, ModelPath = modelPath,
        };
        var result = await AutoMLSearch.Tabular("t", data, rows[..150], data, rows[150..], options).RunAsync();
        Assert.Equal(modelPath, result.AutoML!.ModelPath);
        var final = result.AutoML.Final!;
        using var model = await WorkbenchModel.LoadAsync(modelPath);
        Assert.Equal("lightgbm", model.Manifest.Trainer);
        Assert.Equal(data.Sha256, model.Manifest.DataSha256);
        Assert.Equal(final.Metrics.Test, model.Manifest.Metrics.Test);
        Assert.Equal(final.Metrics.Validation, model.Manifest.Metrics.Validation);
        var testRows = rows[150..].Select(r => (IReadOnlyDictionary<string, string?>)data.ColumnNames.Zip(data.Rows[r]).ToDictionary(p => p.First, p => (string?)p.Second));
        var predicted = model.PredictBatch(testRows).Select(r => model.ClassNames!.ToList().IndexOf(r.Prediction!.PredictedLabel!)).ToArray();
        Assert.Equal(final.TestPredictions!.Select(v => (int)v), predicted);
    }
}
