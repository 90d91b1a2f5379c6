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
}
