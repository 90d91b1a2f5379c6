using MLWorkbench.Bundles;
using MLWorkbench.Experiments;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Models;

namespace MLWorkbench.Tests;

/// <summary>The entry point: one catalog per task family, preparing comparisons and loading what they saved.</summary>
public sealed class WorkbenchTests
{
    [Theory]
    [InlineData(TaskKind.Regression, "lightgbm")]
    [InlineData(TaskKind.MulticlassClassification, "mlp")]
    [InlineData(TaskKind.ImageClassification, "cnn")]
    [InlineData(TaskKind.TextClassification, "minilm-knn")]
    [InlineData(TaskKind.SentenceSimilarity, "minilm-zeroshot")]
    public void Every_task_has_one_catalog_that_lists_its_candidates_and_their_spaces(TaskKind task, string candidate)
    {
        var workbench = new Workbench();
        var catalog = workbench.For(task);
        Assert.Contains(task, catalog.Tasks);
        Assert.Contains(candidate, catalog.CandidateNames(task));
        Assert.NotNull(catalog.SpaceOf(task, candidate));
        Assert.Null(catalog.SpaceOf(task, "no-such-candidate"));
        Assert.Contains(catalog.Describe(task), d => d.Name == candidate);
        Assert.Single(new ITaskCatalog[] { workbench.Tabular, workbench.Images, workbench.Texts, workbench.SentencePairs }, c => c.Tasks.Contains(task));
    }

    [Fact]
    public void Ogd_is_offered_for_regression_only()
    {
        var tabular = new Workbench().Tabular;
        Assert.Contains("ogd", tabular.CandidateNames(TaskKind.Regression));
        Assert.DoesNotContain("ogd", tabular.CandidateNames(TaskKind.MulticlassClassification));
    }

    [Fact]
    public async Task A_prepared_comparison_runs_and_its_saved_model_loads()
    {
        using var folder = new TempFolder();
        var workbench = new Workbench();
        var spec = new ExperimentSpec
        {
            Name = "wine", Task = TaskKind.MulticlassClassification, DataPath = Repository.Dataset("wine", "wine.csv"), Label = "cultivar",
            Candidates = ["sdca", "lbfgs"], ModelPath = Path.Combine(folder.Path, "wine.mlwb"), Device = ComputeDevice.Cpu,
        };
        var run = workbench.Prepare(spec);
        Assert.Equal(("wine", 2), (run.Name, run.Trials));
        var result = await run.RunAsync(null, CancellationToken.None);
        Assert.Equal(["sdca", "lbfgs"], result.Trials.Select(t => t.Candidate));
        Assert.All(result.Trials, t => Assert.Equal(TrialStatus.Succeeded, t.Status));
        using var model = workbench.Load(spec.ModelPath);
        Assert.Equal(result.Best, model.Manifest.Trainer);
    }

    [Fact]
    public void A_candidate_the_task_does_not_offer_is_refused_with_its_name()
    {
        var spec = new ExperimentSpec { Name = "t", Task = TaskKind.TextClassification, DataPath = "x.csv", Label = "label", Candidates = ["cnn"] };
        var error = Assert.Throws<WorkbenchInputException>(() => new Workbench().TextCatalog.Candidates(spec));
        Assert.Contains("'cnn'", error.Message);
    }

    [Theory]
    [InlineData("gru")]
    [InlineData("transformer")]
    [InlineData("minilm-finetune")]
    public void Text_networks_take_a_cap_on_training_texts_from_their_settings(string name)
    {
        var settings = new Dictionary<string, IReadOnlyDictionary<string, object>> { [name] = new Dictionary<string, object> { ["maxTrainExamples"] = 200, ["patience"] = 3 } };
        var spec = new ExperimentSpec { Name = "t", Task = TaskKind.TextClassification, DataPath = "x.csv", Label = "label", Candidates = [name], CandidateSettings = settings };
        var candidate = Assert.Single(new Workbench().TextCatalog.Candidates(spec));
        Assert.Equal(200, candidate.Hyperparameters["maxTrainExamples"]);
        Assert.Equal(3, candidate.Hyperparameters["patience"]);
        // Without the setting, the default: every training text.
        var plain = Assert.Single(new Workbench().TextCatalog.Candidates(new ExperimentSpec { Name = "t", Task = TaskKind.TextClassification, DataPath = "x.csv", Label = "label", Candidates = [name] }));
        Assert.Null(plain.Hyperparameters["maxTrainExamples"]);
    }

    [Theory]
    [InlineData("minilm-biencoder")]
    [InlineData("minilm-crossencoder")]
    public void Pair_encoders_take_their_budgets_from_their_settings(string name)
    {
        var settings = new Dictionary<string, IReadOnlyDictionary<string, object>>
        {
            [name] = new Dictionary<string, object> { ["maxLength"] = 64, ["evaluationsPerEpoch"] = 2, ["maxTrainPairs"] = 32, ["epochs"] = 2 },
        };
        var spec = new ExperimentSpec { Name = "t", Task = TaskKind.SentenceSimilarity, DataPath = "x.csv", Label = "score", Candidates = [name], CandidateSettings = settings };
        var candidate = Assert.Single(new Workbench().PairCatalog.Candidates(spec));
        Assert.Equal(64, candidate.Hyperparameters["maxLength"]);
        Assert.Equal(2, candidate.Hyperparameters["evaluationsPerEpoch"]);
        Assert.Equal(32, candidate.Hyperparameters["maxTrainPairs"]);
        Assert.Equal(2, candidate.Hyperparameters["epochs"]);
    }
}
