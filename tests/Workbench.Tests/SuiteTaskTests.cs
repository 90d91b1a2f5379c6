using MLWorkbench.Experiments;
using MLWorkbench.Images;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Tests.Images;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests;

/// <summary>
/// Suites for text classification and sentence similarity (<c>mlwb run</c>), and what the example tasks record for the
/// report: thumbnails of misclassified images, a CNN's filters, the most confident text mistakes, the worst pairs.
/// </summary>
public class SuiteTaskTests
{

    private static void AssertOneCleanSentence(string error)
    {
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Exception", error);
    }

    /// <summary>Three intents told apart by keywords, with one label in eight flipped so that every model makes mistakes.</summary>
    private static string Texts(TempFolder dir)
    {
        var random = new Random(5);
        (string Intent, string[] Words)[] intents =
        [
            ("weather", ["rain", "sunny", "cold", "forecast"]), ("music", ["play", "song", "album", "playlist"]), ("time", ["clock", "hour", "late", "time"]),
        ];
        string[] filler = ["please", "now", "today", "me", "the", "tell", "what", "is", "a"];
        var lines = new List<string> { "utterance,intent" };
        for (var i = 0; i < 120; i++)
        {
            var (intent, words) = intents[i % 3];
            var text = string.Join(' ', Enumerable.Range(0, 4).Select(k => k % 2 == 0 ? words[random.Next(words.Length)] : filler[random.Next(filler.Length)]));
            lines.Add($"{text},{(random.Next(8) == 0 ? intents[(i + 1) % 3].Intent : intent)}");
        }
        return dir.File("texts.csv", string.Join('\n', lines));
    }

    private static string Pairs(TempFolder dir, string name, int seed, int rows = 80, string header = "sentence1,sentence2,score")
    {
        var random = new Random(seed);
        string[] words = ["cat", "dog", "runs", "sleeps", "red", "car", "fast", "blue", "house", "big"];
        var lines = new List<string> { header };
        for (var i = 0; i < rows; i++)
        {
            var a = Enumerable.Range(0, 5).Select(_ => words[random.Next(words.Length)]).ToArray();
            var keep = random.Next(6);
            var b = a.Select((w, j) => j < keep ? w : words[random.Next(words.Length)]).ToArray();
            lines.Add(header.Split(',').Length == 3 ? $"{string.Join(' ', a)},{string.Join(' ', b)},{keep}" : $"{string.Join(' ', a)},{keep}");
        }
        return dir.File(name, string.Join('\n', lines));
    }

    [Fact]
    public async Task Text_suite_runs_end_to_end_and_records_the_most_confident_mistakes()
    {
        using var dir = new TempFolder();
        var data = Texts(dir);
        var suite = dir.File("suite.yaml", $"""
            name: texts
            seed: 4
            output: out
            experiments:
              - name: intents
                task: text-classification
                data: {data}
                text: utterance
                label: intent
                candidates: [ngram-sdca, ngram-lbfgs]
            """);
        var (code, output, error) = await MlwbCommand.RunAsync("run", suite);
        Assert.True(code == 0, error);
        Assert.Contains("intents", output);
        var e = ResultsFile.Read(Path.Combine(dir.Path, "out", "results.json")).Experiments.Single();
        Assert.Equal("text-classification", e.Task);
        Assert.Equal(["ngram-sdca", "ngram-lbfgs"], e.Trials.Select(t => t.Candidate));
        Assert.All(e.Trials, t => Assert.True(t.Status == TrialStatus.Succeeded, t.Reason));
        Assert.Equal(["music", "time", "weather"], e.ClassNames!.Order());
        Assert.Equal(120, e.Split.TrainRows + e.Split.ValidationRows + e.Split.TestRows);
        Assert.Equal(["utterance"], e.Dataset.Features);

        // Confidences are probabilities of the predicted class; the recorded items are the best model's wrong
        // predictions, most confident first, and carry the test texts.
        var best = e.Trials.Single(t => t.Candidate == e.Best);
        Assert.Equal(e.TestLabels!.Count, best.TestConfidences!.Count);
        Assert.All(best.TestConfidences, c => Assert.InRange(c, 1.0 / 3 - 1e-6, 1.0));
        var wrong = Enumerable.Range(0, e.TestLabels.Count).Where(i => best.TestPredictions![i] != e.TestLabels[i]).ToList();
        Assert.NotEmpty(wrong);
        var items = e.TestItems!;
        Assert.Equal(Math.Min(10, wrong.Count), items.Count);
        Assert.All(items, item => Assert.Contains(item.Row, wrong));
        Assert.Equal(items.Select(i => best.TestConfidences[i.Row]).OrderByDescending(c => c), items.Select(i => best.TestConfidences[i.Row]));
        var texts = File.ReadAllLines(data).Skip(1).Select(l => l.Split(',')[0]).ToHashSet();
        Assert.All(items, item => Assert.Contains(item.Text!, texts));
        Assert.All(items, item => Assert.Null(item.Image));
        Assert.Contains("worst-texts", File.ReadAllText(Path.Combine(dir.Path, "out", "index.html")));
    }

    [Fact]
    public async Task Similarity_suite_uses_its_validation_and_test_files_and_records_the_worst_pairs()
    {
        using var dir = new TempFolder();
        var suite = dir.File("suite.yaml", $"""
            name: pairs
            output: out
            experiments:
              - name: sts
                task: sentence-similarity
                data: {Pairs(dir, "train.csv", 1, rows: 120)}
                validation: {Pairs(dir, "dev.csv", 2, rows: 40)}
                test: {Pairs(dir, "test.csv", 3, rows: 30)}
                candidates: [lexical-fasttree, lexical-lightgbm]
            """);
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite);
        Assert.True(code == 0, error);
        var e = ResultsFile.Read(Path.Combine(dir.Path, "out", "results.json")).Experiments.Single();
        Assert.Equal("sentence-similarity", e.Task);
        Assert.Equal("given-sets", e.Split.Kind);
        Assert.Equal((120, 40, 30), (e.Split.TrainRows, e.Split.ValidationRows, e.Split.TestRows));
        Assert.All(e.Trials, t => Assert.True(t.Status == TrialStatus.Succeeded, t.Reason));
        Assert.True(e.Trials.Max(t => t.Metrics.Test["spearman"]) > 0.5);

        // The ten recorded pairs are the best model's ten largest absolute errors, with their lines in the test file.
        var best = e.Trials.Single(t => t.Candidate == e.Best);
        var errors = e.TestLabels!.Select((gold, i) => Math.Abs(best.TestPredictions![i] - gold)).ToList();
        var expected = Enumerable.Range(0, errors.Count).OrderByDescending(i => errors[i]).Take(10).Select(i => errors[i]);
        Assert.Equal(expected, e.TestItems!.Select(i => errors[i.Row]));
        var testLines = File.ReadAllLines(Path.Combine(dir.Path, "test.csv"));
        Assert.All(e.TestItems!, item =>
        {
            var line = int.Parse(item.Source!.Replace("line ", ""), System.Globalization.CultureInfo.InvariantCulture);
            Assert.StartsWith($"{item.Text},{item.SecondText},", testLines[line - 1]);
        });
        Assert.Contains("worst-pairs", File.ReadAllText(Path.Combine(dir.Path, "out", "index.html")));
    }

    [Fact]
    public async Task Text_suite_without_a_text_column_exits_2_with_its_line()
    {
        using var dir = new TempFolder();
        var suite = dir.File("suite.yaml", $"""
            name: texts
            output: out
            experiments:
              - name: intents
                task: text-classification
                data: {Texts(dir)}
                label: intent
            """);
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite);
        Assert.Equal(2, code);
        AssertOneCleanSentence(error);
        Assert.Contains("line 4, column 5", error);
        Assert.Contains("'text' is required", error);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "out")));
    }

    [Fact]
    public async Task Similarity_file_without_a_sentence_column_exits_2_naming_it()
    {
        using var dir = new TempFolder();
        var suite = dir.File("suite.yaml", $"""
            name: pairs
            output: out
            experiments:
              - name: sts
                task: sentence-similarity
                data: {Pairs(dir, "train.csv", 1)}
                test: {Pairs(dir, "test.csv", 3, header: "sentence1,score")}
                candidates: [lexical-fasttree]
            """);
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite);
        Assert.Equal(2, code);
        AssertOneCleanSentence(error);
        Assert.Contains("test.csv", error);
        Assert.Contains("sentence2", error);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "out")));
    }

    [Theory]
    [InlineData("sentence-similarity", "    label: score\n", "line 7, column 5: sentence-pair files hold their score column, so 'label' does not apply")]
    [InlineData("image-classification", "    text: caption\n", "line 7, column 5: 'text' names the text column of text-classification")]
    [InlineData("regression", "    label: y\n    test: other.csv\n", "line 8, column 5: a separate 'test' file is not supported for task regression")]
    public async Task Keys_that_do_not_apply_to_a_task_are_errors_at_their_line(string task, string keys, string expected)
    {
        using var dir = new TempFolder();
        var suite = dir.File("suite.yaml", $"name: s\noutput: out\nexperiments:\n  - name: e\n    task: {task}\n    data: data.csv\n{keys}");
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite);
        Assert.Equal(2, code);
        AssertOneCleanSentence(error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public async Task List_candidates_shows_text_and_similarity_candidates()
    {
        var (code, output, _) = await MlwbCommand.RunAsync("list", "candidates", "--task", "sentence-similarity");
        Assert.Equal(0, code);
        Assert.Contains("lexical-fasttree", output);
        Assert.Contains("minilm-zeroshot", output);
        Assert.DoesNotContain("ngram-sdca", output);
        (code, output, _) = await MlwbCommand.RunAsync("list", "candidates");
        Assert.Equal(0, code);
        Assert.Contains("ngram-sdca", output);
        Assert.Contains("text-classification", output);
        Assert.Contains("pixels-lbfgs", output);
        Assert.Contains("lightgbm", output);
    }

    [Fact]
    public async Task Image_experiment_records_thumbnails_of_mistakes_and_the_cnn_filters()
    {
        var prepared = ImageExperiment.Prepare("digits", ImageTestData.Digits, null, 0.2, 0.2, 3, ComputeDevice.Cpu, ["pixels-lbfgs"]);
        var cnn = TorchImageCandidates.Cnn(new TorchImageOptions { ImageSize = 8, Width = 8, Depth = 1, MaxEpochs = 1, Patience = 1, BatchSize = 64, Augment = false });
        var e = await prepared.WithCandidates([prepared.Candidates[0], cnn]).RunAsync();
        Assert.All(e.Trials, t => Assert.True(t.Status == TrialStatus.Succeeded, t.Reason));

        // The CNN's first convolution: 8 filters of 3x3 over the one grey channel; the linear model has none.
        var filters = e.Trials.Single(t => t.Candidate == "cnn").Filters!;
        Assert.Equal((1, 3, 3, 8), (filters.Channels, filters.Height, filters.Width, filters.Weights.Count));
        Assert.All(filters.Weights, w => Assert.Equal(9, w.Count));
        Assert.Contains(filters.Weights.SelectMany(w => w), v => v != 0);
        Assert.Null(e.Trials.Single(t => t.Candidate == "pixels-lbfgs").Filters);

        // Thumbnails: the selected model's wrong test images (at most 24), each an 8x8 PNG with the test image's pixels.
        var best = e.Trials.Single(t => t.Candidate == e.Best);
        var wrong = Enumerable.Range(0, e.TestLabels!.Count).Where(i => best.TestPredictions![i] != e.TestLabels[i]).ToList();
        Assert.NotEmpty(wrong);
        Assert.Equal(Math.Min(24, wrong.Count), e.TestItems!.Count);
        // Most confident mistakes first: the confidence is the predicted class's probability, recorded per test image.
        Assert.Equal(e.TestLabels.Count, best.TestConfidences!.Count);
        Assert.All(best.TestConfidences, c => Assert.InRange(c, 0.1, 1.0));
        Assert.Equal(e.TestItems.Select(i => best.TestConfidences[i.Row]).OrderByDescending(c => c), e.TestItems.Select(i => best.TestConfidences[i.Row]));
        using var dir = new TempFolder();
        foreach (var item in e.TestItems)
        {
            Assert.Contains(item.Row, wrong);
            Assert.StartsWith("data:image/png;base64,", item.Image);
            Assert.EndsWith(".png", item.Source);
            var png = Path.Combine(dir.Path, $"{item.Row}.png");
            File.WriteAllBytes(png, Convert.FromBase64String(item.Image!["data:image/png;base64,".Length..]));
            var decoded = ImageDecoder.Instance.Decode(png, 8, 1);
            var original = prepared.Test.Subset([item.Row]).Pixels(8)[0];
            Assert.Equal(64, decoded.Length);
            for (var p = 0; p < 64; p++) Assert.Equal(original[p], decoded[p], 1.0 / 255);
        }
    }

    [Fact]
    public void Long_texts_are_cut_to_200_characters_without_splitting_a_character()
    {
        Assert.Equal("short", TaskViews.Cut("short"));
        var cut = TaskViews.Cut(new string('a', 198) + "😀😀😀");
        Assert.Equal(new string('a', 198) + "…", cut);
        Assert.Equal(200, TaskViews.Cut(new string('b', 500)).Length);
    }
}

/// <summary>Candidate settings in suites, searches of example tasks in suites, and the selected model saved beside the report.</summary>
public class SuiteSettingsTests
{

    /// <summary>A suite over 60 synthetic shapes: <paramref name="suiteKeys"/> go on line 3, <paramref name="candidates"/> from line 9 on.</summary>
    internal static string ShapesSuite(TempFolder dir, string candidates, string extra = "", string suiteKeys = "")
    {
        var images = SyntheticShapes.Write(Path.Combine(dir.Path, "shapes"), perClass: 20, seed: 4, size: 16);
        return dir.File("suite.yaml", $"""
            name: settings
            seed: 3{(suiteKeys.Length > 0 ? "\n" + suiteKeys : "")}
            output: out
            experiments:
              - name: shapes
                task: image-classification
                data: {images}
                candidates:
            {candidates}
            {extra}
            """);
    }

    [Fact]
    public async Task Candidate_settings_reach_the_trial_and_the_selected_model_is_saved()
    {
        using var dir = new TempFolder();
        var suite = ShapesSuite(dir, "      - pixels-lbfgs\n      - cnn: { maxEpochs: 2, width: 8, depth: 1 }");
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite);
        Assert.True(code == 0, error);
        var result = ResultsFile.Read(Path.Combine(dir.Path, "out", "results.json")).Experiments.Single();
        var cnn = result.Trials.Single(t => t.Candidate == "cnn");
        Assert.Equal("2,8,1", string.Join(',', new[] { "maxEpochs", "width", "depth" }.Select(k => cnn.Hyperparameters[k]?.ToString())));
        Assert.Equal(2, cnn.Curves.First(c => c.Name == "train cross-entropy").Values.Count);
        // Each candidate's defaults are recorded beside the settings it ran with: the suite's maxEpochs is not cnn's default.
        Assert.Equal(["cnn", "pixels-lbfgs"], result.CandidateDefaults!.Keys.Order());
        Assert.Equal(cnn.Hyperparameters.Keys.Order(), result.CandidateDefaults["cnn"].Keys.Order());
        Assert.NotEqual("2", result.CandidateDefaults["cnn"]["maxEpochs"]?.ToString());
        Assert.Equal(result.Trials.Single(t => t.Candidate == "pixels-lbfgs").Hyperparameters.Select(p => p.Value?.ToString()),
            result.CandidateDefaults["pixels-lbfgs"].Select(p => p.Value?.ToString()));
        using var model = MLWorkbench.Serving.WorkbenchModel.Load(Path.Combine(dir.Path, "out", "shapes.mlwb"));
        Assert.Equal(result.Best, model.Manifest.Trainer);
        // Model size: what each trial's model takes in a bundle; the saved file holds the selected one plus its manifest.
        Assert.All(result.Trials, t => Assert.True(t.ModelBytes > 100, $"{t.Candidate}: {t.ModelBytes}"));
        var selected = result.Trials.Single(t => t.Candidate == result.Best);
        Assert.InRange(new FileInfo(Path.Combine(dir.Path, "out", "shapes.mlwb")).Length, selected.ModelBytes!.Value / 4, selected.ModelBytes.Value + 100_000);
    }

    [Theory]
    [InlineData("      - cnn: { epochs: 3 }", "'epochs' is not a setting of 'cnn'", "line 9,")]
    [InlineData("      - cnn: { width: wide }", "'width' must be a positive whole number, not 'wide'", "line 9,")]
    [InlineData("      - cnn: { augment: maybe }", "'augment' must be one of true, false", "line 9,")]
    [InlineData("      - pixels-lbfgs: { iterations: 5 }", "has no settings to change", "line 9,")]
    [InlineData("      - cnn\n    automl: { trials: 2, folds: 3 }", "'folds' is for tabular searches", "line 10,")]
    [InlineData("      - cnn\n    automl: { trials: 2, rowRungMinRows: 500 }", "'rowRungMinRows' is for tabular searches", "line 10,")]
    public async Task Bad_settings_name_the_line_and_exit_2(string candidates, string expected, string line)
    {
        using var dir = new TempFolder();
        var (code, _, error) = await MlwbCommand.RunAsync("run", ShapesSuite(dir, candidates));
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.Contains(line, error);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "out")));
    }

    [Fact]
    public void A_tabular_automl_search_takes_the_fewest_rows_of_a_row_rung_from_the_suite()
    {
        using var dir = new TempFolder();
        File.WriteAllText(Path.Combine(dir.Path, "d.csv"), "x,y\n1,2\n2,4\n");
        string Suite(string automl) => dir.File("suite.yaml",
            $"name: rungs\nexperiments:\n  - name: t\n    task: regression\n    data: d.csv\n    label: y\n    automl: {{ trials: 2{automl} }}\n");
        Assert.Equal(500, MLWorkbench.Cli.Suites.SuiteReader.Read(Suite(", rowRungMinRows: 500")).Experiments.Single().AutoML!.RowRungMinRows);
        Assert.Equal(MLWorkbench.Search.AutoMLOptions.DefaultRowRungMinRows, MLWorkbench.Cli.Suites.SuiteReader.Read(Suite("")).Experiments.Single().AutoML!.RowRungMinRows);
        var e = Assert.Throws<WorkbenchInputException>(() => MLWorkbench.Cli.Suites.SuiteReader.Read(Suite(", rowRungMinRows: 0")));
        Assert.Contains("'rowRungMinRows' must be at least 1", e.Message);
        Assert.Contains("line 7,", e.Message);
    }

    [Fact]
    public async Task An_automl_key_makes_an_image_experiment_a_search_that_resumes()
    {
        using var dir = new TempFolder();
        var suite = ShapesSuite(dir, "      - pixels-lbfgs\n      - pixels-sdca", "    automl: { trials: 3, tuner: random }");
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite);
        Assert.True(code == 0, error);
        var result = ResultsFile.Read(Path.Combine(dir.Path, "out", "results.json")).Experiments.Single();
        Assert.Equal(3, result.Trials.Count);
        Assert.Equal("random", result.AutoML!.Tuner);
        Assert.True(File.Exists(Path.Combine(dir.Path, "out", "shapes.mlwb")));
        (code, _, error) = await MlwbCommand.RunAsync("run", suite);
        Assert.True(code == 0, error);
        Assert.Equal(3, ResultsFile.Read(Path.Combine(dir.Path, "out", "results.json")).Experiments.Single().AutoML!.ResumedTrials);
    }
}
