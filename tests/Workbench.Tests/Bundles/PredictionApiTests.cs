using System.Text.Json;
using System.Text.Json.Serialization;
using MLWorkbench.Bundles;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.Bundles;

public class PredictionApiTests
{
    private sealed class LinearInput
    {
        public double X1 { get; set; }
        public float X2 { get; set; }
        [JsonPropertyName("x3")] public decimal Third { get; set; }
        public string? Colour { get; set; }
        public string Unrelated { get; set; } = "ignored";
    }

    private sealed class LinearOutput
    {
        public float Score { get; set; }
        public double? Value { get; set; }
    }

    private sealed class ClassInput
    {
        public double X1 { get; set; }
        public double? X2 { get; set; }
        public bool Flag { get; set; }
        public DateTime Day { get; set; }
        public string Colour { get; set; } = "";
        public string Note { get; set; } = "";
    }

    private sealed class ClassOutput
    {
        public string? PredictedLabel { get; set; }
        public double Probability { get; set; }
        public IReadOnlyDictionary<string, float>? Probabilities { get; set; }
    }

    private sealed class ClassArrayOutput
    {
        public float[] Probabilities { get; set; } = [];
    }

    private sealed class NothingToFill
    {
        public int Count { get; set; }
    }

    private static Dictionary<string, string?> LinearRow(string x1 = "0.25", string? x2 = "-0.5", string? x3 = "0.75", string? colour = "red") =>
        new() { ["x1"] = x1, ["x2"] = x2, ["x3"] = x3, ["colour"] = colour };

    [Fact]
    public async Task Typed_prediction_maps_properties_by_column_name()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        using var model = WorkbenchModel.Load(saved.Path);
        var typed = model.Predict<LinearInput, LinearOutput>(new LinearInput { X1 = 0.25, X2 = -0.5f, Third = 0.75m, Colour = "red" });
        var expected = model.Predict(LinearRow()).Value!.Value;
        Assert.Equal(expected, typed.Score, 1e-6);
        Assert.Equal(expected, typed.Value!.Value, 1e-6);
        Assert.Throws<InvalidOperationException>(() => model.Predict<LinearInput, NothingToFill>(new LinearInput()));
        // A null property is a missing value; colour (a category) allows it, so this predicts.
        Assert.True(float.IsFinite(model.Predict<LinearInput, LinearOutput>(new LinearInput { X1 = 1 }).Score));
    }

    [Fact]
    public async Task Typed_classification_fills_label_and_probabilities()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.MulticlassAsync(dir, "lightgbm");
        using var model = WorkbenchModel.Load(saved.Path);
        var input = new ClassInput { X1 = 0.9, X2 = 0.4, Flag = true, Day = new DateTime(2024, 3, 1), Colour = "red", Note = "alpha bravo charlie" };
        var typed = model.Predict<ClassInput, ClassOutput>(input);
        var expected = model.Predict(new Dictionary<string, string?>
        {
            ["x1"] = "0.9", ["x2"] = "0.4", ["flag"] = "yes", ["day"] = "2024-03-01", ["colour"] = "red", ["note"] = "alpha bravo charlie",
        });
        Assert.Equal("high", expected.PredictedLabel);
        Assert.Equal(expected.PredictedLabel, typed.PredictedLabel);
        Assert.Equal(expected.Probability!.Value, typed.Probability, 1e-6);
        Assert.Equal(expected.Probabilities, typed.Probabilities);
        var array = model.Predict<ClassInput, ClassArrayOutput>(input);
        Assert.Equal(model.ClassNames!.Select(c => expected.Probabilities![c]), array.Probabilities);
        Assert.Equal(1, array.Probabilities.Sum(), 1e-5);
        // x2 had missing values in training: null is accepted.
        Assert.NotNull(model.Predict<ClassInput, ClassOutput>(new ClassInput { X1 = -0.9, X2 = null, Day = new DateTime(2024, 1, 5) }).PredictedLabel);
    }

    [Fact]
    public async Task Json_in_json_out()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.MulticlassAsync(dir, "lightgbm");
        using var model = WorkbenchModel.Load(saved.Path);
        var json = model.PredictJson("""{"x1": -0.8, "x2": null, "flag": false, "day": "2024-02-03", "colour": "blue", "note": "kilo lima", "label": "ignored"}""");
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var label = root.GetProperty("predictedLabel").GetString();
        Assert.Equal("low", label);
        var probabilities = root.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetSingle());
        Assert.Equal(["high", "low", "mid"], probabilities.Keys);
        Assert.Equal(probabilities[label!], root.GetProperty("probability").GetSingle());

        var many = model.PredictJson("""[{"x1": 0.9, "x2": 0.1, "flag": "yes", "day": "2024-02-03", "colour": "red", "note": ""}, {"x1": "abc"}, 7]""");
        using var batch = JsonDocument.Parse(many);
        var items = batch.RootElement.EnumerateArray().ToArray();
        Assert.Equal(3, items.Length);
        Assert.Equal("high", items[0].GetProperty("predictedLabel").GetString());
        Assert.Contains("'x1'", items[1].GetProperty("error").GetString());
        Assert.Contains("not a JSON object", items[2].GetProperty("error").GetString());

        var e = Assert.Throws<WorkbenchInputException>(() => model.PredictJson("{\"x1\": "));
        Assert.StartsWith("The input is not valid JSON", e.Message);
        e = Assert.Throws<WorkbenchInputException>(() => model.PredictJson("{\"x1\": [1, 2]}"));
        Assert.Contains("Column 'x1' holds a JSON array", e.Message);
        Assert.Throws<WorkbenchInputException>(() => model.PredictJson("42"));
    }

    [Fact]
    public async Task Json_regression_gives_a_value()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        using var model = WorkbenchModel.Load(saved.Path);
        using var document = JsonDocument.Parse(model.PredictJson("""{"x1": 0.25, "x2": "-0.5", "x3": 0.75, "colour": "red"}"""));
        Assert.Equal(model.Predict(LinearRow()).Value!.Value, document.RootElement.GetProperty("value").GetSingle(), 1e-6);
    }

    [Fact]
    public async Task A_bad_row_in_a_batch_gets_its_own_error_and_the_others_are_predicted()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "lightgbm");
        using var model = WorkbenchModel.Load(saved.Path);
        var good = LinearRow();
        var rows = new List<IReadOnlyDictionary<string, string?>>
        {
            good,
            new Dictionary<string, string?> { ["x1"] = "1", ["x2"] = "0", ["colour"] = "red" },   // x3 missing
            LinearRow(x1: "twelve"),
            LinearRow(x2: "NaN"),
            LinearRow(x3: new string('9', WorkbenchModel.MaxFieldLength + 1)),
            LinearRow(x1: "Infinity"),
            null!,
            LinearRow(colour: "purple"),   // unseen category: no error
            LinearRow(colour: ""),         // missing category: no error
            LinearRow(x1: "  0.25  "),     // trimmed like the training file
        };
        var results = model.PredictBatch(rows);
        Assert.Equal(rows.Count, results.Count);
        Assert.Equal(Enumerable.Range(0, rows.Count), results.Select(r => r.Index));
        Assert.True(results[0].Succeeded);
        Assert.Equal("Input column 'x3' is missing; the model needs x1, x2, x3, colour.", results[1].Error);
        Assert.Equal("Column 'x1' needs a finite number, not 'twelve'.", results[2].Error);
        Assert.Contains("Column 'x2' is missing ('NaN')", results[3].Error);
        Assert.Contains("Column 'x3' holds 1,048,577 characters; the limit is 1,048,576", results[4].Error);
        Assert.Equal("Column 'x1' needs a finite number, not 'Infinity'.", results[5].Error);
        Assert.Equal("The row is null.", results[6].Error);
        Assert.True(results[7].Succeeded);
        Assert.True(results[8].Succeeded);
        Assert.Equal(results[7].Prediction!.Value, results[8].Prediction!.Value);
        Assert.Equal(results[0].Prediction!.Value, results[9].Prediction!.Value);
        Assert.Equal(model.Predict(good).Value, results[0].Prediction!.Value);
        foreach (var bad in results.Where(r => !r.Succeeded)) Assert.Null(bad.Prediction);
    }

    [Fact]
    public async Task Single_predictions_throw_one_sentence_for_bad_input()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.MulticlassAsync(dir, "lightgbm");
        using var model = WorkbenchModel.Load(saved.Path);
        var row = new Dictionary<string, string?>
        {
            ["x1"] = "0.1", ["x2"] = "", ["flag"] = "maybe", ["day"] = "2024-01-02", ["colour"] = "red", ["note"] = "alpha",
        };
        var e = Assert.Throws<WorkbenchInputException>(() => model.Predict(row));
        Assert.Equal("Column 'flag' needs true or false (or yes/no), not 'maybe'.", e.Message);
        row["flag"] = "no";
        row["day"] = "yesterday";
        e = Assert.Throws<WorkbenchInputException>(() => model.Predict(row));
        Assert.StartsWith("Column 'day' needs a date", e.Message);
        row["day"] = "2024-01-02";
        Assert.NotNull(model.Predict(row).PredictedLabel); // x2 empty: allowed, training had missing x2
        row["x1"] = "";
        e = Assert.Throws<WorkbenchInputException>(() => model.Predict(row));
        Assert.Equal("Column 'x1' is missing (''); the model saw no missing numbers there in training, so give one.", e.Message);
    }

    [Theory]
    [InlineData("regression", "mlp")]
    [InlineData("multiclass", "lightgbm")]
    [InlineData("multiclass", "mlp")]
    public async Task Eight_threads_predict_what_one_thread_predicts(string task, string trainer)
    {
        using var dir = new TempFolder();
        var saved = task == "regression" ? await BundleFixtures.RegressionAsync(dir, trainer) : await BundleFixtures.MulticlassAsync(dir, trainer);
        using var model = WorkbenchModel.Load(saved.Path);
        var rows = saved.Rows;
        const int threads = 8, perThread = 200;
        var expected = Enumerable.Range(0, rows.Count).Select(r => model.Predict(rows[r])).ToArray();
        var actual = new Prediction[threads, perThread];
        using var start = new Barrier(threads);
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (var i = 0; i < perThread; i++) actual[t, i] = model.Predict(rows[(t * 37 + i) % rows.Count]);
            }
            catch (Exception e) { errors.Add(e); }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        Assert.Empty(errors);
        for (var t = 0; t < threads; t++)
        for (var i = 0; i < perThread; i++)
        {
            var want = expected[(t * 37 + i) % rows.Count];
            var got = actual[t, i];
            Assert.Equal(want.Value, got.Value);
            Assert.Equal(want.PredictedLabel, got.PredictedLabel);
            if (want.Probabilities is not null) Assert.Equal(want.Probabilities, got.Probabilities);
        }
    }

    [Fact]
    public async Task A_disposed_model_refuses_to_predict()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var model = WorkbenchModel.Load(saved.Path);
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.Predict(LinearRow()));
    }
}
