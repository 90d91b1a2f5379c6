using System.Globalization;
using System.Text;
using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Search;

namespace MLWorkbench.Tests.AutoML;

/// <summary>Issue 15: hard time limits, the cost model, the portfolio and the refit of a tabular search.</summary>
public class SearchBudgetTests
{
    /// <summary>A regression table of <paramref name="rows"/> rows and <paramref name="columns"/> numeric features (y = x0 + 2·x1 + noise).</summary>
    private static TabularData Wide(TempFolder dir, int rows, int columns)
    {
        var random = new Random(3);
        var text = new StringBuilder(string.Join(',', Enumerable.Range(0, columns).Select(c => $"x{c}")) + ",y\n");
        for (var r = 0; r < rows; r++)
        {
            var x = Enumerable.Range(0, columns).Select(_ => random.NextDouble()).ToArray();
            text.Append(string.Join(',', x.Select(v => v.ToString("0.####", CultureInfo.InvariantCulture))));
            text.Append(CultureInfo.InvariantCulture, $",{x[0] + 2 * x[1] + 0.1 * random.NextDouble():0.####}\n");
        }
        return TabularData.LoadCsv(dir.File("wide.csv", text.ToString()));
    }

    private static TrialConfig FastTree(int trees, int leaves) => new("fasttree", new Dictionary<string, object>
        { ["numberOfLeaves"] = leaves, ["numberOfTrees"] = trees, ["minimumExampleCountPerLeaf"] = 2, ["learningRate"] = 0.1 });

    private static TrialConfig LightGbm(int iterations) => new("lightgbm", new Dictionary<string, object>
    {
        ["numberOfLeaves"] = 8, ["numberOfIterations"] = iterations, ["learningRate"] = 0.1, ["minimumExampleCountPerLeaf"] = 20,
        ["featureFraction"] = 1.0, ["l2Regularization"] = 1e-6,
    });

    private static AutoMLOptions Holdout(double? budget, int trials, IReadOnlyList<string> trainers, bool refit = true, string? modelPath = null) => new()
    {
        Task = TaskKind.Regression, Label = "y", Folds = 1, BudgetSeconds = budget, MaxTrials = trials, Tuner = "tpe", Seed = 4,
        Trainers = trainers, Device = Tasks.ComputeDevice.Cpu, Refit = refit, ModelPath = modelPath,
    };

    private static async Task<ExperimentResult> RunAsync(TabularObjective objective, AutoMLOptions options, double share = 0.5)
    {
        using var store = SqliteStudyStore.InMemory();
        var settings = AutoMLSearch.Settings(options) with { TrialTimeShare = share };
        return await new Study(store, Samplers.Create(options.Tuner), Pruners.Create(options.Pruner), settings).RunAsync(objective);
    }

    [Fact]
    public async Task A_trial_over_its_share_is_cancelled_through_its_context_recorded_and_the_study_goes_on()
    {
        using var dir = new TempFolder();
        var data = Wide(dir, 20_000, 10);
        var options = Holdout(budget: 40, trials: 2, ["fasttree", "lightgbm"]);
        var objective = TabularObjective.Prepare("slow", data, Enumerable.Range(0, data.Rows.Count).ToArray(), null, null, options);
        // Thousands of deep trees on 16,000 rows take far longer than the 2 s share; the cost model would not start
        // them, so it is switched off here to test the cancellation itself.
        objective.StartingPoints = [FastTree(5000, 128), LightGbm(10)];
        objective.PredictCosts = false;

        var result = await RunAsync(objective, options, share: 0.05);

        var cancelled = result.Trials[0];
        Assert.Equal(TrialStatus.Failed, cancelled.Status);
        Assert.StartsWith("cancelled at its share of the budget (2 s)", cancelled.Reason);
        Assert.Equal(2, cancelled.CancelledAtSeconds);
        // FastTree listens to its context: the fit returned (it was not abandoned), so the core was free again.
        Assert.NotNull(cancelled.StopSeconds);
        Assert.True(cancelled.TrainSeconds < 2 + 5, $"the cancelled trial took {cancelled.TrainSeconds:0.0} s");
        // The study went on to the next trial (ten boosting rounds: it succeeds unless the machine is so busy that it
        // too reaches its 2 s, and then it is cancelled the same way).
        Assert.Equal(2, result.Trials.Count);
        var next = result.Trials[1];
        Assert.True(next.Status == TrialStatus.Succeeded || next.CancelledAtSeconds == 2, $"trial 1: {next.Status}, {next.Reason}");
        if (next.Status == TrialStatus.Succeeded) Assert.Equal("lightgbm", result.AutoML!.Final!.Candidate);
    }

    [Fact]
    public async Task Trials_that_cannot_finish_in_their_seconds_are_not_started_and_the_search_stops()
    {
        using var dir = new TempFolder();
        var data = Wide(dir, 20_000, 20);
        var options = Holdout(budget: 20, trials: 10, ["fasttree"]);
        var objective = TabularObjective.Prepare("big", data, Enumerable.Range(0, data.Rows.Count).ToArray(), null, null, options);
        objective.StartingPoints = [FastTree(1000, 128), FastTree(999, 128), FastTree(998, 128)];

        var result = await RunAsync(objective, options, share: 0.05); // 1 s per trial

        Assert.Equal(3, result.Trials.Count);
        Assert.All(result.Trials, t =>
        {
            Assert.Equal(TrialStatus.Failed, t.Status);
            Assert.StartsWith(Study.NotStartedPrefix + "the cost model predicts", t.Reason);
            Assert.True(t.PredictedSeconds > 1);
        });
        Assert.Equal("budget", result.AutoML!.StopReason);
        Assert.Null(result.AutoML.Final);
    }

    [Fact]
    public async Task A_row_rung_trial_starts_when_its_first_rung_fits_though_all_its_rungs_would_not()
    {
        using var dir = new TempFolder();
        var data = Wide(dir, 20_000, 10);
        var options = Holdout(budget: 20, trials: 1, ["fasttree"]);
        var objective = TabularObjective.Prepare("rungs", data, Enumerable.Range(0, data.Rows.Count).ToArray(), null, null, options);
        objective.StartingPoints = [];
        using var store = SqliteStudyStore.InMemory();
        var study = new Study(store, Samplers.Create(options.Tuner), Pruners.Create(options.Pruner), AutoMLSearch.Settings(options) with { TrialTimeShare = 0.05 });
        // A queued configuration that is not in the portfolio: a sampled one, which runs row rungs (16,000 holdout rows:
        // 1,778, 5,333 and 16,000). By FastTree's prior its three rungs need about 3.5 s, more than twice the 1 s it may
        // take (the most an uncalibrated trainer is refused at), its first rung about 0.3 s.
        await store.OpenAsync(study.Settings.Name, study.Fingerprint(objective), CancellationToken.None);
        await store.EnqueueAsync(FastTree(1000, 16), CancellationToken.None);

        var result = await study.RunAsync(objective);

        var trial = Assert.Single(result.Trials);
        Assert.Equal(1, trial.AllowedSeconds);
        Assert.True(trial.PredictedSeconds > 2 * trial.AllowedSeconds, $"predicted {trial.PredictedSeconds}");
        // It started (on a busy machine its first rung may still be cancelled at its second: it was not refused).
        Assert.False(trial.Reason?.StartsWith(Study.NotStartedPrefix, StringComparison.Ordinal) == true, trial.Reason);
        Assert.True(trial.Rungs is not null || trial.CancelledAtSeconds == 1, $"{trial.Status}: {trial.Reason}");
    }

    [Fact]
    public void The_cost_model_learns_each_trainers_rate_from_finished_trials_and_bounds_iterations()
    {
        var gam = new TrialConfig("gam", new Dictionary<string, object> { ["numberOfIterations"] = 1000 });
        var prior = TrialCostModel.Calibrate(10_000, 10, 0, []);
        Assert.False(prior.IsCalibrated("gam"));
        // A finished LightGBM trial that ran 10× slower than its prior makes every uncalibrated trainer 10× slower too.
        var lightgbm = LightGbm(100);
        var slow = new StoredTrial(0, lightgbm, TrialState.Complete, 1, [new Dictionary<string, double> { ["rmse"] = 1 }],
            prior.PredictSeconds(lightgbm) * 10, null, DateTimeOffset.UtcNow);
        var learned = TrialCostModel.Calibrate(10_000, 10, 0, [slow]);
        Assert.True(learned.IsCalibrated("lightgbm"));
        Assert.Equal(prior.PredictSeconds(gam) * 10, learned.PredictSeconds(gam), 1e-9);
        Assert.Equal(prior.PredictSeconds(lightgbm) * 10, learned.PredictSeconds(lightgbm), 1e-9);
        // Bounding: the iterations that fit in a number of seconds, by the same rate.
        // 1,000 iterations and 500 iterations' worth of setup: half its predicted seconds leave room for 250 iterations.
        var most = learned.MaxIterations(gam, "numberOfIterations", learned.PredictSeconds(gam) / 2);
        Assert.InRange(most, 249, 250);
    }

    [Fact]
    public async Task The_portfolio_is_tried_first_in_order_and_the_sampler_takes_over_after_it()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 160));
        var options = new AutoMLOptions
        {
            Task = TaskKind.Regression, Label = "y", Folds = 3, BudgetSeconds = null, Tuner = "tpe", Seed = 9,
            Trainers = ["sdca", "lightgbm", "fasttree", "fastforest"], Device = Tasks.ComputeDevice.Cpu,
        };
        var rows = Enumerable.Range(0, 160).ToArray();
        var objective = TabularObjective.Prepare("p", data, rows, null, null, options);
        var portfolio = objective.StartingPoints;
        Assert.Equal(TabularPortfolio.For(TaskKind.Regression, 160, objective.Space).Select(c => c.Key), portfolio.Select(c => c.Key));
        Assert.True(portfolio.Count >= 4);
        Assert.Equal(["lightgbm", "fasttree", "fastforest"], portfolio.Take(3).Select(c => c.Trainer));

        var result = await AutoMLSearch.Tabular("p", data, rows, null, null, new AutoMLOptions
        {
            Task = options.Task, Label = "y", Folds = 3, BudgetSeconds = null, MaxTrials = portfolio.Count + 2, Tuner = "tpe", Seed = 9,
            Trainers = options.Trainers, Device = options.Device, Pruner = "none",
        }).RunAsync();

        Assert.Equal(portfolio.Count, result.AutoML!.StartingTrials);
        for (var i = 0; i < portfolio.Count; i++)
        {
            Assert.Equal(portfolio[i].Trainer, result.Trials[i].Candidate);
            foreach (var (name, value) in portfolio[i].Parameters)
                Assert.Equal(Convert.ToDouble(value, CultureInfo.InvariantCulture), Convert.ToDouble(result.Trials[i].Hyperparameters[name], CultureInfo.InvariantCulture), 1e-9);
        }
        Assert.Equal(portfolio.Count + 2, result.Trials.Count);
        // Every portfolio configuration lies inside its trainer's space, so the sampler can learn from it.
        Assert.All(portfolio, c => Assert.All(objective.Space.For(c.Trainer).Parameters, p => Assert.True(c.Parameters.ContainsKey(p.Name))));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Results_say_which_rows_the_final_model_saw_and_keep_the_as_selected_test_score_apart(bool refit)
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 160));
        var rows = Enumerable.Range(0, 160).ToArray();
        var options = Holdout(budget: null, trials: 3, ["lightgbm", "sdca"], refit, Path.Combine(dir.Path, "model.mlwb"));
        var result = await AutoMLSearch.Tabular("r", data, rows[..120], data, rows[120..], options).RunAsync();

        var automl = result.AutoML!;
        Assert.Equal(refit, automl.Refit is not null);
        if (refit) Assert.Equal(120, automl.Refit!.TrainRows);
        Assert.Equal(96, automl.AsSelectedTrainRows); // the holdout's 80% of 120 training rows
        Assert.NotEmpty(automl.AsSelected!.Metrics.Test);
        Assert.Equal(refit ? 120 : 96, automl.FinalTrainRows);
        var final = automl.Final!;
        Assert.Equal(TrialStatus.Succeeded, final.Status);
        // Here the blend of LightGBM and SDCA beats the winner on the rows its weights never saw, with or without the refit:
        // under --no-refit its members are trained as in the search, on the holdout's 96 training rows.
        Assert.True(automl.Ensemble!.Chosen, automl.Ensemble.Reason);
        Assert.Equal("ensemble", final.Candidate);
        Assert.Equal(refit ? "all 120 training rows (each member refit after the search)"
            : "96 of the 120 training rows (the holdout split's training rows): each member trained as in the search (--no-refit)", automl.FinalRows);
        Assert.Equal(40, final.TestPredictions!.Count);

        // The saved model predicts what the final model predicted on every test row, with its own featurization.
        using var model = MLWorkbench.Serving.WorkbenchModel.Load(automl.ModelPath!);
        Assert.Equal("ensemble-tabular", model.Manifest.ModelFormat);
        for (var i = 0; i < 40; i++)
        {
            var row = data.ColumnNames.Select((c, k) => (c, v: data.Rows[120 + i][k])).ToDictionary(p => p.c, p => (string?)p.v);
            Assert.Equal(final.TestPredictions[i], model.Predict(row).Value!.Value, 1e-4);
        }
    }
}
