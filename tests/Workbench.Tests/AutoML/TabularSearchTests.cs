using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Search;

namespace MLWorkbench.Tests.AutoML;

public class TabularSearchTests
{
    private static AutoMLOptions Options(string? study, int trials, string tuner = "cfo", IReadOnlyList<string>? trainers = null) => new()
    {
        Task = TaskKind.Regression, Label = "y", Folds = 3, BudgetSeconds = null, MaxTrials = trials, Tuner = tuner, Seed = 9,
        Trainers = trainers ?? ["sdca", "lightgbm", "fasttree"], StudyPath = study, Device = Tasks.ComputeDevice.Cpu,
    };

    private static async Task<ExperimentResult> Run(TabularData data, AutoMLOptions options)
    {
        var rows = Enumerable.Range(0, data.Rows.Count).ToArray();
        var study = AutoMLSearch.Tabular("t", data, rows[..120], data, rows[120..], options);
        return await study.RunAsync();
    }

    private static IEnumerable<string> Sequence(ExperimentResult r) =>
        r.Trials.Select(t => $"{t.Number}:{t.Candidate}:{string.Join(",", t.Hyperparameters.Select(h => $"{h.Key}={h.Value}"))}:{t.Status}:{t.Metrics.Validation.GetValueOrDefault("rmse"):R}");

    [Fact]
    public async Task Same_seed_and_trials_give_the_same_sequence_and_leaderboard()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 160));
        var a = await Run(data, Options(null, 8));
        var b = await Run(data, Options(null, 8));
        Assert.Equal(8, a.Trials.Count);
        Assert.Equal(Sequence(a), Sequence(b));
        Assert.Equal(a.AutoML!.Final!.Metrics.Test, b.AutoML!.Final!.Metrics.Test);
    }

    [Fact]
    public async Task A_killed_study_resumes_without_redoing_or_losing_trials()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 160));
        var study = Path.Combine(dir.Path, "study.db");
        var first = await Run(data, Options(study, 4));        // stands for a run killed after 4 trials
        var resumed = await Run(data, Options(study, 8));
        var straight = await Run(data, Options(null, 8));
        Assert.Equal(4, resumed.AutoML!.ResumedTrials);
        Assert.Equal(Sequence(first), Sequence(resumed).Take(4));
        Assert.Equal(Sequence(straight), Sequence(resumed));
        // The resumed run did not train the first four again: their recorded times are the first run's.
        Assert.Equal(first.Trials.Select(t => t.TrainSeconds), resumed.Trials.Take(4).Select(t => t.TrainSeconds));
    }

    [Fact]
    public async Task A_study_file_for_other_data_is_refused()
    {
        using var dir = new TempFolder();
        var study = Path.Combine(dir.Path, "study.db");
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 160));
        await Run(data, Options(study, 2));
        using var other = new TempFolder();
        var otherData = TabularData.LoadCsv(Synthetic.LinearCsv(other.Path, 160, seed: 99));
        var e = await Assert.ThrowsAsync<WorkbenchInputException>(() => Run(otherData, Options(study, 2)));
        Assert.Contains("study.db", e.Message);
    }

    [Fact]
    public async Task Test_rows_are_scored_only_by_the_final_model()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 160));
        var result = await Run(data, Options(null, 5, "random"));
        Assert.All(result.Trials, t => Assert.Empty(t.Metrics.Test));
        Assert.All(result.Trials.Where(t => t.Status == TrialStatus.Succeeded), t => Assert.Equal(3, t.Folds!.Count));
        var final = result.AutoML!.Final!;
        Assert.Equal(TrialStatus.Succeeded, final.Status);
        Assert.Equal(40, final.TestPredictions!.Count);
        Assert.True(final.Metrics.Test["r2"] > 0.8, $"test r2 {final.Metrics.Test["r2"]}");
        // The final model is the best trial's configuration refit, or the ensemble of the best trials when it won.
        Assert.Equal(result.AutoML.Ensemble is { Chosen: true } ? "ensemble" : result.Best, final.Candidate);
        // Each searched trainer's defaults are recorded, so that the report can mark what a trial changed.
        Assert.Equal(["fasttree", "lightgbm", "sdca"], result.CandidateDefaults!.Keys.Order());
        Assert.Equal(TrainerCatalog.Find("sdca")!.CreateDefault(TaskKind.Regression).Hyperparameters.Select(p => $"{p.Key}={p.Value}"),
            result.CandidateDefaults["sdca"].Select(p => $"{p.Key}={p.Value}"));
        Assert.NotEmpty(result.FeatureImportance!);
        Assert.Equal("x1", result.FeatureImportance![0].Feature); // y = 2 + 3·x1 − 1.5·x2 + ...: x1 matters most
    }

    [Fact]
    public async Task A_trial_that_throws_is_recorded_as_failed_and_the_study_goes_on()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 160));
        // Poisson regression (lbfgs) refuses negative labels; the synthetic line goes below zero.
        var result = await Run(data, Options(null, 4, "grid", ["lbfgs", "sdca"]));
        var failed = result.Trials.Where(t => t.Status == TrialStatus.Failed).ToArray();
        Assert.NotEmpty(failed);
        Assert.All(failed, t => Assert.False(string.IsNullOrWhiteSpace(t.Reason)));
        Assert.Contains(result.Trials, t => t.Status == TrialStatus.Succeeded);
        Assert.Equal("sdca", result.AutoML!.Final!.Candidate);
    }

    [Fact]
    public void Bad_input_is_refused_before_any_trial()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(dir.File("c.csv", "x,y\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{i},{(i == 0 ? "rare" : i % 2 == 0 ? "a" : "b")}\n"))));
        var rows = Enumerable.Range(0, 40).ToArray();
        var options = new AutoMLOptions { Task = TaskKind.MulticlassClassification, Label = "y", MaxTrials = 2 };
        var e = Assert.Throws<WorkbenchInputException>(() => AutoMLSearch.Tabular("c", data, rows, null, null, options));
        Assert.Contains("Class 'rare'", e.Message);

        var tiny = TabularData.LoadCsv(dir.File("t.csv", "x,y\n1,1\n2,2\n3,3\n4,4\n"));
        e = Assert.Throws<WorkbenchInputException>(() => AutoMLSearch.Tabular("t", tiny, [0, 1, 2, 3], null, null, new AutoMLOptions { Label = "y", MaxTrials = 1 }));
        Assert.Contains("too few", e.Message);

        e = Assert.Throws<WorkbenchInputException>(() => AutoMLSearch.Tabular("t", tiny, [0, 1, 2, 3], null, null, new AutoMLOptions { Label = "y", Tuner = "hyperband" }));
        Assert.Contains("hyperband", e.Message);
    }

    [Theory]
    [InlineData(null, 100, 1, "holdout (chosen by size: more than 100 training rows)")]
    [InlineData(null, 1000, 5, "5-fold cross-validation (chosen by size: at most 1,000 training rows)")]
    [InlineData(3, 100, 3, "3-fold cross-validation")]
    public void Validation_is_chosen_by_size_unless_the_user_names_the_folds(int? folds, int holdoutAbove, int expected, string kind)
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 150));
        var options = new AutoMLOptions
        {
            Task = TaskKind.Regression, Label = "y", Folds = folds, HoldoutAboveRows = holdoutAbove, BudgetSeconds = null, MaxTrials = 1,
            Trainers = ["sdca"], Device = Tasks.ComputeDevice.Cpu,
        };

        var objective = TabularObjective.Prepare("t", data, Enumerable.Range(0, data.Rows.Count).ToArray(), null, null, options);

        Assert.Equal(expected, objective.Folds);
        Assert.Equal(kind, objective.NewResult().Split!.Kind);
        Assert.Contains($"folds={expected};", objective.Fingerprint);
        Assert.Equal(15_000, new AutoMLOptions { Label = "y" }.HoldoutAboveRows);
    }

    [Fact]
    public async Task Results_state_each_trials_share_of_the_budget_and_what_earlier_runs_spent()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 150));
        var options = new AutoMLOptions
        {
            Task = TaskKind.Regression, Label = "y", Folds = 2, BudgetSeconds = 20, MaxTrials = 1, Trainers = ["sdca"],
            StudyPath = Path.Combine(dir.Path, "study.db"), Device = Tasks.ComputeDevice.Cpu,
        };
        var first = await Run(data, options);
        Assert.Equal(10, first.AutoML!.TrialShareSeconds); // half the budget, the default share
        Assert.Equal(0, first.AutoML.SpentBeforeSeconds);

        var again = await Run(data, options);
        Assert.True(again.AutoML!.SpentBeforeSeconds > 0);
    }
}
