using MLWorkbench.Results;

namespace MLWorkbench.Tests;

public class CliTests
{

    private static string Suite(TempFolder dir, string data, string label = "y", string candidates = "[sdca, lightgbm, linear-gd]") =>
        dir.File("suite.yaml", $"""
            name: test-suite
            seed: 3
            output: out
            experiments:
              - name: linear
                task: regression
                data: {data}
                label: {label}
                candidates: {candidates}
            """);

    private static void AssertOneCleanSentence(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Exception", error);
    }

    [Fact]
    public async Task Unknown_option_exits_2_with_one_sentence()
    {
        var (code, _, error) = await MlwbCommand.RunAsync("run", "x.yaml", "--bogus");
        Assert.Equal(2, code);
        Assert.Contains("--bogus", error);
        AssertOneCleanSentence(error);
    }

    [Fact]
    public async Task Missing_suite_file_exits_2()
    {
        var (code, _, error) = await MlwbCommand.RunAsync("run", "/nonexistent/suite.yaml");
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);
        AssertOneCleanSentence(error);
    }

    [Fact]
    public async Task Malformed_yaml_names_line_and_column()
    {
        using var dir = new TempFolder();
        var suite = dir.File("bad.yaml", "name: x\nexperiments:\n  - name: [unclosed\n");
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite);
        Assert.Equal(2, code);
        Assert.Matches(@"line \d+, column \d+", error);
        AssertOneCleanSentence(error);
    }

    [Fact]
    public async Task Unknown_key_and_unknown_candidate_name_their_position()
    {
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 60);
        var typo = dir.File("typo.yaml", $"name: x\nexperiments:\n  - name: e\n    task: regression\n    data: {data}\n    lable: y\n");
        var (code, _, error) = await MlwbCommand.RunAsync("run", typo);
        Assert.Equal(2, code);
        Assert.Contains("line 6, column 5", error);
        Assert.Contains("'lable'", error);

        (code, _, error) = await MlwbCommand.RunAsync("run", Suite(dir, data, candidates: "[sdca, xgboost]"));
        Assert.Equal(2, code);
        Assert.Contains("unknown candidate 'xgboost'", error);
        Assert.Contains("line 9", error);
    }

    [Fact]
    public async Task Missing_label_column_exits_2_and_writes_nothing()
    {
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 60);
        var (code, output, error) = await MlwbCommand.RunAsync("run", Suite(dir, data, label: "price"));
        Assert.Equal(2, code);
        Assert.Contains("Column 'price' does not exist", error);
        AssertOneCleanSentence(error);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "out")), "no output folder for a run that never started");
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Run_writes_results_and_a_report()
    {
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 200);
        var (code, output, error) = await MlwbCommand.RunAsync("run", Suite(dir, data));
        Assert.True(code == 0, error);
        var results = ResultsFile.Read(Path.Combine(dir.Path, "out", "results.json"));
        var experiment = Assert.Single(results.Experiments);
        Assert.Equal(["sdca", "lightgbm", "linear-gd"], experiment.Trials.Select(t => t.Candidate));
        Assert.All(experiment.Trials, t => Assert.Equal(TrialStatus.Succeeded, t.Status));
        Assert.Equal(["mlnet", "mlnet", "torch"], experiment.Trials.Select(t => t.Family));
        // The report's baseline is learned from the training rows alone.
        Assert.Equal(experiment.Split!.TrainRows, experiment.Baseline!.Rows);
        Assert.NotNull(experiment.Baseline.Mean);
        Assert.NotEqual(experiment.TestLabels!.Average(), experiment.Baseline.Mean!.Value, 9);
        Assert.All(experiment.Trials, t => Assert.True(t.Metrics.Test["rmse"] < 1.0));
        Assert.Equal(200, experiment.Dataset.Rows);
        Assert.Equal(120 + 40 + 40, experiment.Split.TrainRows + experiment.Split.ValidationRows + experiment.Split.TestRows);
        Assert.Equal(3, results.Environment.Seed);
        Assert.Contains("id", experiment.Dataset.Dropped.Keys);
        Assert.NotEmpty(experiment.Trials[2].Curves);
        Assert.Contains("linear", output);
        // The terminal leaderboard's size column: one size per trial (all three models are a few kilobytes).
        Assert.Contains("size", output);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(output, @"\d+(\.\d)? (B|KB) ").Count);
        var html = File.ReadAllText(Path.Combine(dir.Path, "out", "index.html"));
        Assert.Contains("<svg", html);
        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "out"), "*.tmp"));
    }

    [Fact]
    public async Task Report_command_on_a_missing_file_exits_2()
    {
        var (code, _, error) = await MlwbCommand.RunAsync("report", "/nonexistent/results.json");
        Assert.Equal(2, code);
        AssertOneCleanSentence(error);
    }

    [Fact]
    public async Task Automl_writes_results_report_and_study_and_resumes()
    {
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 150);
        var outDir = Path.Combine(dir.Path, "automl");
        string[] args = ["automl", "--task", "regression", "--train", data, "--label", "y", "--trials", "3", "--folds", "2",
            "--trainers", "sdca,lightgbm", "--out", outDir, "--column", "id=ignore"];
        var (code, output, error) = await MlwbCommand.RunAsync(args);
        Assert.True(code == 0, error);
        Assert.Contains("Final model:", output);
        Assert.True(File.Exists(Path.Combine(outDir, "study.db")));
        Assert.True(File.Exists(Path.Combine(outDir, "index.html")));
        var first = ResultsFile.Read(Path.Combine(outDir, "results.json")).Experiments.Single();
        Assert.Equal(3, first.Trials.Count);
        Assert.Equal("ignored by the user", first.Dataset.Dropped["id"]);

        (code, _, error) = await MlwbCommand.RunAsync(args);
        Assert.True(code == 0, error);
        var again = ResultsFile.Read(Path.Combine(outDir, "results.json")).Experiments.Single();
        Assert.Equal(3, again.AutoML!.ResumedTrials);
    }

    [Fact]
    public async Task Automl_row_rung_min_rows_sets_the_smallest_row_rung_of_a_holdout_search()
    {
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 150);
        var outDir = Path.Combine(dir.Path, "automl");
        // 150 rows, a holdout of a fifth: 120 training rows, far below the default 1,000 rows a rung needs; with 10 the
        // sampled trials (no portfolio for sdca) run rungs of 13, 40 and 120 rows.
        var (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "regression", "--train", data, "--label", "y", "--trials", "2", "--folds", "1",
            "--trainers", "sdca", "--pruner", "none", "--row-rung-min-rows", "10", "--out", outDir);
        Assert.True(code == 0, error);
        var result = ResultsFile.Read(Path.Combine(outDir, "results.json")).Experiments.Single();
        Assert.All(result.Trials, t => Assert.Equal((13.0, "rows"), (t.Rungs![0].Fidelity, t.Rungs[0].Unit)));

        (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "image-classification", "--train", dir.Path, "--row-rung-min-rows", "10", "--out", outDir + "-images");
        Assert.Equal(2, code);
        Assert.Contains("--row-rung-min-rows is for tabular searches", error);
    }

    [Theory]
    [InlineData("--label", "price", "Column 'price' does not exist")]
    [InlineData("--task", "ranking", "Unknown task 'ranking'")]
    [InlineData("--column", "x1=colour", "NAME=numeric")]
    [InlineData("--row-rung-min-rows", "0", "--row-rung-min-rows must be at least 1, not 0")]
    public async Task Automl_bad_input_exits_2_before_writing(string option, string value, string expected)
    {
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 60);
        var outDir = Path.Combine(dir.Path, "automl");
        var args = new List<string> { "automl", "--train", data, "--trials", "1", "--out", outDir };
        if (option != "--label") args.AddRange(["--label", "y"]);
        if (option != "--task") args.AddRange(["--task", "regression"]);
        args.AddRange([option, value]);
        var (code, _, error) = await MlwbCommand.RunAsync([.. args]);
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        AssertOneCleanSentence(error);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task List_candidates_shows_the_task_s_trainers_only()
    {
        var (code, output, _) = await MlwbCommand.RunAsync("list", "candidates", "--task", "binary");
        Assert.Equal(0, code);
        Assert.Contains("lightgbm", output);
        Assert.Contains("numberOfLeaves", output);
        Assert.DoesNotContain("ogd", output); // regression only
        (code, _, var error) = await MlwbCommand.RunAsync("list", "candidates", "--task", "ranking");
        Assert.Equal(2, code);
        Assert.Contains("Unknown task 'ranking'", error);
    }

    [Fact]
    public async Task Automl_gives_the_same_trials_in_separate_processes()
    {
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 120);
        var mlwb = Path.Combine(AppContext.BaseDirectory, "mlwb.dll");
        async Task<string> RunProcess(string outDir)
        {
            var start = new System.Diagnostics.ProcessStartInfo(Repository.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { mlwb, "automl", "--task", "regression", "--train", data, "--label", "y", "--trials", "6", "--folds", "2",
                         "--trainers", "sdca,lightgbm,fasttree", "--tuner", "cfo", "--out", outDir }) start.ArgumentList.Add(a);
            using var process = System.Diagnostics.Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, await stderr);
            var trials = ResultsFile.Read(Path.Combine(outDir, "results.json")).Experiments.Single().Trials;
            return string.Join("\n", trials.Select(t => $"{t.Candidate} {string.Join(",", t.Hyperparameters.Select(h => $"{h.Key}={h.Value}"))} {t.Metrics.Validation.GetValueOrDefault("rmse"):R}"));
        }
        Assert.Equal(await RunProcess(Path.Combine(dir.Path, "a")), await RunProcess(Path.Combine(dir.Path, "b")));
    }

    [Fact]
    public async Task Automl_in_a_second_process_on_a_held_study_exits_2_naming_the_holder()
    {
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 60);
        var outDir = Path.Combine(dir.Path, "automl");
        using var held = new MLWorkbench.AutoML.SqliteStudyStore(Path.Combine(outDir, "study.db"));
        var mlwb = Path.Combine(AppContext.BaseDirectory, "mlwb.dll");
        var start = new System.Diagnostics.ProcessStartInfo(Repository.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { mlwb, "automl", "--task", "regression", "--train", data, "--label", "y", "--trials", "2", "--folds", "2", "--out", outDir })
            start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(2, process.ExitCode);
        var error = await stderr;
        Assert.Contains($"is in use by process {Environment.ProcessId} on host", error);
        Assert.False(File.Exists(Path.Combine(outDir, "results.json")));
    }
}

/// <summary><c>mlwb automl</c> for the example tasks: images, texts and sentence pairs.</summary>
public class ExampleAutomlCliTests
{

    [Fact]
    public async Task Image_automl_searches_a_folder_and_writes_results_and_report()
    {
        using var dir = new TempFolder();
        var images = MLWorkbench.Images.SyntheticShapes.Write(Path.Combine(dir.Path, "shapes"), perClass: 30, seed: 3, size: 16);
        var outDir = Path.Combine(dir.Path, "out");
        var (code, output, error) = await MlwbCommand.RunAsync("automl", "--task", "image-classification", "--train", images, "--trials", "3",
            "--trainers", "pixels-lbfgs,cnn", "--out", outDir);
        Assert.True(code == 0, error);
        Assert.Contains("Final model:", output);
        var result = ResultsFile.Read(Path.Combine(outDir, "results.json")).Experiments.Single();
        Assert.Equal("image-classification", result.Task);
        Assert.Equal(["pixels-lbfgs", "cnn"], result.Trials.Take(2).Select(t => t.Candidate));
        Assert.Equal(3, result.Trials.Count);
        Assert.True(result.AutoML!.Final!.Metrics.Test.ContainsKey("accuracy"));
        Assert.True(File.Exists(Path.Combine(outDir, "study.db")));
        Assert.True(File.Exists(Path.Combine(outDir, "index.html")));
        // The winner is one loadable file that predicts from an image path.
        using var model = MLWorkbench.Serving.WorkbenchModel.Load(Path.Combine(outDir, "model.mlwb"));
        Assert.Equal(result.Best, model.Manifest.Trainer);
        var circle = Directory.GetFiles(Path.Combine(images, "circle")).First();
        Assert.Contains(model.PredictImage(circle).PredictedLabel, new[] { "circle", "square", "triangle" });
    }

    [Fact]
    public async Task Similarity_automl_ranks_on_the_validation_file_and_scores_the_test_file_once()
    {
        using var dir = new TempFolder();
        string Pairs(string name, int seed)
        {
            var random = new Random(seed);
            string[] words = ["cat", "dog", "runs", "sleeps", "red", "car", "fast", "blue", "house", "big"];
            var lines = new List<string> { "sentence1,sentence2,score" };
            for (var i = 0; i < 80; i++)
            {
                var a = Enumerable.Range(0, 5).Select(_ => words[random.Next(words.Length)]).ToArray();
                var keep = random.Next(6);
                var b = a.Select((w, j) => j < keep ? w : words[random.Next(words.Length)]).ToArray();
                lines.Add($"{string.Join(' ', a)},{string.Join(' ', b)},{keep}");
            }
            return dir.File(name, string.Join('\n', lines));
        }
        var outDir = Path.Combine(dir.Path, "out");
        var (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "sentence-similarity", "--train", Pairs("train.csv", 1), "--validation", Pairs("dev.csv", 2),
            "--test", Pairs("test.csv", 3), "--trials", "3", "--trainers", "lexical-fasttree,lexical-lightgbm", "--out", outDir);
        Assert.True(code == 0, error);
        var result = ResultsFile.Read(Path.Combine(outDir, "results.json")).Experiments.Single();
        Assert.Equal(80, result.Split.ValidationRows);
        Assert.Equal(80, result.Split.TestRows);
        Assert.All(result.Trials, t => Assert.Empty(t.Metrics.Test));
        Assert.True(result.AutoML!.Final!.Metrics.Test["spearman"] > 0.5, $"spearman {result.AutoML.Final.Metrics.Test["spearman"]}");
        using var model = MLWorkbench.Serving.WorkbenchModel.Load(Path.Combine(outDir, "model.mlwb"));
        Assert.Equal(result.AutoML.ModelPath, Path.GetFullPath(Path.Combine(outDir, "model.mlwb")));
        Assert.True(model.ScorePair("cat dog runs red car", "cat dog runs red car") > model.ScorePair("cat dog runs red car", "blue house big fast sleeps"));
    }

    [Fact]
    public async Task Text_automl_without_label_exits_2_before_writing()
    {
        using var dir = new TempFolder();
        var data = dir.File("texts.csv", "text,label\nhello there,greet\nbye now,leave\n");
        var outDir = Path.Combine(dir.Path, "out");
        var (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "text-classification", "--train", data, "--trials", "1", "--out", outDir);
        Assert.Equal(2, code);
        Assert.Contains("--label", error);
        Assert.False(Directory.Exists(outDir));
    }
}

/// <summary>The suites shipped in experiments/ stay valid: every one passes <c>mlwb run --dry-run</c>.</summary>
public class ShippedSuiteTests
{
    public static TheoryData<string> Suites()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(Repository.Root, "experiments"), "*.yaml").Order()) data.Add(Path.GetFileName(file));
        return data;
    }

    private static string PathOf(string name) => Path.Combine(Repository.Root, "experiments", name);

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Shipped_suite_passes_a_dry_run_and_writes_nothing(string suite)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Cli.Cli.RunAsync(["run", PathOf(suite), "--dry-run"], output, error, CancellationToken.None);
        Assert.True(code == 0, error.ToString());
        Assert.Contains("is valid", output.ToString());
    }
}
