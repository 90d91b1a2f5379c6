using MLWorkbench.AutoML;
using MLWorkbench.Experiments;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Tests.TextClassification;
using Xunit;
using MLWorkbench.Search;

namespace MLWorkbench.Tests.AutoML;

/// <summary>AutoML over examples: starting points, selection on validation only, one test score, resume, bad options.</summary>
public sealed class HoldoutSearchTests : IClassFixture<TextTestData>, IDisposable
{
    private readonly TextTestData _data;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"mlwb-example-study-{Guid.NewGuid():N}");

    public HoldoutSearchTests(TextTestData data)
    {
        _data = data;
        Directory.CreateDirectory(_folder);
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private AutoMLOptions Options(int trials, string[] trainers, string? study = null, int parallel = 1) => new()
    {
        Task = TaskKind.TextClassification, Label = "label", MaxTrials = trials, BudgetSeconds = null, Seed = 7, Tuner = "tpe",
        Trainers = trainers, StudyPath = study, StudyName = "text", Parallel = parallel,
    };

    [Fact]
    public async Task Text_search_starts_from_every_trainer_and_scores_only_the_winner_on_test()
    {
        var run = HoldoutSearches.Prepare("keywords", TaskKind.TextClassification, _data.Keywords, null, null, "text",
            Options(4, ["ngram-lbfgs", "ngram-lightgbm"]));
        var result = await run(null, CancellationToken.None);

        Assert.Equal(4, result.Trials.Count);
        // The cheapest starting points come first: each trainer is tried before the sampler explores.
        Assert.Equal(["ngram-lbfgs", "ngram-lightgbm"], result.Trials.Take(2).Select(t => t.Candidate));
        Assert.Equal(100, Convert.ToInt32(result.Trials[1].Hyperparameters["iterations"]));
        Assert.All(result.Trials, t => Assert.Empty(t.Metrics.Test));
        // L-BFGS has nothing to tune: asking for it again is recorded, not trained again.
        Assert.All(result.Trials.Skip(2).Where(t => t.Candidate == "ngram-lbfgs"), t =>
        {
            Assert.Equal(TrialStatus.Pruned, t.Status);
            Assert.StartsWith("same configuration as trial", t.Reason);
        });

        var final = result.AutoML!.Final!;
        // Best validation accuracy; ties (common on small validation sets) go to the lower validation cross-entropy.
        var best = result.Trials.Where(t => t.Status == TrialStatus.Succeeded)
            .OrderByDescending(t => t.Metrics.Validation["accuracy"]).ThenBy(t => t.Metrics.Validation["logLoss"]).ThenBy(t => t.Number).First();
        Assert.Equal(best.Number, final.Number);
        Assert.Equal(best.Candidate, result.Best);
        Assert.Equal(best.Metrics.Validation["accuracy"], final.Metrics.Validation["accuracy"]);
        // The keyword task is learnable: the winner must beat chance (1/3) on test rows it never saw.
        Assert.True(final.Metrics.Test["accuracy"] > 0.6, $"test accuracy {final.Metrics.Test["accuracy"]}");
        Assert.Equal(result.Split.TestRows, result.TestLabels!.Count);
        Assert.Equal(result.Split.TestRows, final.TestPredictions!.Count);
        Assert.Equal("trials", result.AutoML.StopReason);
        Assert.True(final.ModelBytes > 0);
        Assert.Equal(300, result.Split.TrainRows + result.Split.ValidationRows + result.Split.TestRows);
    }

    [Fact]
    public async Task A_rerun_resumes_from_the_study_store_and_proposes_the_same_trials()
    {
        var study = Path.Combine(_folder, "study.db");
        var first = await HoldoutSearches.Prepare("keywords", TaskKind.TextClassification, _data.Keywords, null, null, "text",
            Options(3, ["ngram-lightgbm"], study))(null, CancellationToken.None);
        var second = await HoldoutSearches.Prepare("keywords", TaskKind.TextClassification, _data.Keywords, null, null, "text",
            Options(5, ["ngram-lightgbm"], study))(null, CancellationToken.None);
        var fresh = await HoldoutSearches.Prepare("keywords", TaskKind.TextClassification, _data.Keywords, null, null, "text",
            Options(5, ["ngram-lightgbm"], Path.Combine(_folder, "fresh.db")))(null, CancellationToken.None);

        Assert.Equal(3, second.AutoML!.ResumedTrials);
        Assert.Equal(first.Trials.Select(t => t.Metrics.Validation["accuracy"]), second.Trials.Take(3).Select(t => t.Metrics.Validation["accuracy"]));
        Assert.Equal(fresh.Trials.Select(t => t.Hyperparameters["iterations"]?.ToString()), second.Trials.Select(t => t.Hyperparameters["iterations"]?.ToString()));
        Assert.True(second.AutoML.Final!.Metrics.Test.ContainsKey("accuracy"));
    }

    [Fact]
    public void Bad_options_are_refused_before_anything_trains()
    {
        var unknown = Assert.Throws<WorkbenchInputException>(() => HoldoutSearches.Prepare("k", TaskKind.TextClassification, _data.Keywords, null, null, "text",
            Options(2, ["lightgbm"])));
        Assert.Contains("ngram-sdca", unknown.Message);
        var parallel = Assert.Throws<WorkbenchInputException>(() => HoldoutSearches.Prepare("k", TaskKind.TextClassification, _data.Keywords, null, null, "text",
            Options(2, [], parallel: 2)));
        Assert.Contains("--parallel", parallel.Message);
        var validation = Assert.Throws<WorkbenchInputException>(() => HoldoutSearches.Prepare("k", TaskKind.TextClassification, _data.Keywords, _data.Keywords, null, "text",
            Options(2, [])));
        Assert.Contains("--validation", validation.Message);
        Assert.Throws<WorkbenchInputException>(() => HoldoutSearches.Prepare("k", TaskKind.TextClassification, _data.Keywords, null, null, "missing-column",
            Options(2, [])));
    }
}
