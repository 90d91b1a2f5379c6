using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;
using Xunit.Abstractions;
using MLWorkbench.Experiments;
using MLWorkbench.Serving;

namespace MLWorkbench.Tests.TextClassification;

/// <summary><c>minilm-knn</c>, the candidate added through the recipe: one file plus one line in <see cref="TextTrainers.All"/>.</summary>
public sealed class MiniLmNeighboursTests(TextTestData data, ITestOutputHelper output) : IClassFixture<TextTestData>
{
    private static TrainContext Context(TextExamples train) => new(TaskKind.TextClassification, train.ClassNames.Count, 1, ComputeDevice.Cpu);

    [Fact]
    public void It_is_registered_for_comparisons_and_searches_with_a_cheap_start()
    {
        Assert.Contains("minilm-knn", TextCandidates.Names);
        var definition = Assert.Single(TextTrainers.All, t => t.Name == "minilm-knn");
        Assert.Equal(ModelFamily.Onnx, definition.Family);
        Assert.True(definition.SearchedByDefault);
        var candidate = definition.Create(TaskKind.TextClassification, definition.Space(TaskKind.TextClassification).Initial);
        Assert.Equal(10, Convert.ToInt32(candidate.Hyperparameters["neighbours"]));
        Assert.Equal("cosine", candidate.Hyperparameters["weighting"]);
        Assert.Contains(TrainerDefinition<TextExamples>.Select(TextTrainers.All, [], TaskKind.TextClassification), t => t.Name == "minilm-knn");
    }

    [Fact]
    public async Task It_learns_intents_about_as_well_as_a_linear_model_on_the_same_embeddings()
    {
        var prepared = TextExperiment.Prepare("intents", data.Intents, null, "text", "intent", 0.2, 0.25, 3, ComputeDevice.Cpu, ["minilm-knn"]);
        var classes = prepared.Train.ClassNames.Count;
        using var model = await TextCandidates.Create("minilm-knn").FitAsync(prepared.Train, prepared.Validation, Context(prepared.Train), CancellationToken.None);
        var predicted = model.Predict(prepared.Test);
        var accuracy = ClassificationMetrics.Compute(prepared.Test.Labels, predicted, classes)[ClassificationMetrics.Accuracy];
        // The same embeddings into ML.NET's linear model: the neighbours should be in its league (MiniLM reads English
        // far better than Chinese, which holds both below the n-gram models here).
        using var linear = await TextCandidates.Create("minilm-embeddings").FitAsync(prepared.Train, prepared.Validation, Context(prepared.Train), CancellationToken.None);
        var linearAccuracy = ClassificationMetrics.Compute(prepared.Test.Labels, linear.Predict(prepared.Test), classes)[ClassificationMetrics.Accuracy];
        output.WriteLine($"intents test accuracy: minilm-knn {accuracy:0.000}, minilm-embeddings {linearAccuracy:0.000}");
        Assert.True(accuracy >= 0.5 && accuracy >= linearAccuracy - 0.15,
            $"minilm-knn test accuracy {accuracy:0.000} on intents (chance 0.1; minilm-embeddings {linearAccuracy:0.000}).");
        Assert.All(predicted.Probabilities!, p => Assert.Equal(1.0, p.Sum(), 4));
    }

    [Fact]
    public async Task One_neighbour_gives_each_training_text_its_own_class_and_the_bundle_predicts_the_same()
    {
        var prepared = TextExperiment.Prepare("keywords", data.Keywords, null, "text", "label", 0.2, 0.2, 1, ComputeDevice.Cpu, ["minilm-knn"]);
        // Distinct texts only: a duplicate with another label would make its own nearest neighbour ambiguous.
        var distinct = prepared.Train.Texts.Select((t, i) => (t, i)).DistinctBy(x => x.t, StringComparer.Ordinal).Select(x => x.i).ToArray();
        var train = prepared.Train.Subset(distinct);
        var definition = MiniLmNeighboursCandidate.Definition;
        var candidate = definition.Create(TaskKind.TextClassification, new Dictionary<string, object> { ["neighbours"] = 1, ["weighting"] = "uniform", ["maxTokens"] = "64" });
        using var model = await candidate.FitAsync(train, prepared.Validation, Context(train), CancellationToken.None);
        Assert.Equal(train.Labels, model.Predict(train).Values);

        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "knn.mlwb");
        await ModelBundle.SaveAsync(path, model, TaskKind.TextClassification, train.ClassNames,
            new BundleSource("label", candidate.Name, candidate.Family, candidate.Hyperparameters, new Dictionary<string, double>(), null, null), CancellationToken.None);
        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal("minilm-knn-text", loaded.Manifest.ModelFormat);
        Assert.Contains("minilm/model.onnx", loaded.Manifest.PretrainedAssets.Select(a => a.Name));
        var before = model.Predict(prepared.Test);
        var rows = prepared.Test.Texts.Select(t => (IReadOnlyDictionary<string, string?>)new Dictionary<string, string?> { ["text"] = t }).ToArray();
        var served = loaded.PredictBatch(rows);
        for (var i = 0; i < rows.Length; i++)
            Assert.Equal(prepared.Test.ClassNames[(int)before.Values[i]], served[i].Prediction!.PredictedLabel);
    }
}
