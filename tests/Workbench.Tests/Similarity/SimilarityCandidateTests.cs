using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.Tests.Bert;
using Xunit.Abstractions;
using MLWorkbench.Experiments;

namespace MLWorkbench.Tests.Similarity;

/// <summary>Lexical candidates and the comparison runner on small STS Benchmark samples (cheap; no MiniLM).</summary>
public sealed class LexicalSimilarityTests(ITestOutputHelper output)
{
    private static readonly TrainContext Context = new(TaskKind.SentenceSimilarity, 0, 42, ComputeDevice.Cpu);

    [Theory]
    [InlineData("lexical-fasttree")]
    [InlineData("lexical-lightgbm")]
    public async Task Lexical_features_rank_sts_dev_pairs(string name)
    {
        var train = SimilarityTestData.Sts("train", 300);
        var dev = SimilarityTestData.Sts("dev", 100);
        using var model = await SimilarityCandidates.Create(name).FitAsync(train, dev, Context, CancellationToken.None);
        var metrics = SimilarityMetrics.Compute(dev.Labels, model.Predict(dev).Values);
        output.WriteLine($"{name}: spearman {metrics[SimilarityMetrics.Spearman]:F3}, pearson {metrics[SimilarityMetrics.Pearson]:F3}, mse {metrics[SimilarityMetrics.Mse]:F3}");
        Assert.True(metrics[SimilarityMetrics.Spearman] > 0.3, $"spearman {metrics[SimilarityMetrics.Spearman]}");
    }

    [Fact]
    public async Task An_experiment_records_every_candidate_and_the_largest_errors()
    {
        var path = SimilarityTestData.StsPath("train");
        var prepared = SimilarityExperiment.Prepare("sts-train", path, null, null, 0.2, 0.2, 5, ComputeDevice.Cpu, ["lexical-lightgbm", "nasbert-similarity"]);
        var result = await prepared.RunAsync();
        Assert.Equal("sentence-similarity", result.Task);
        Assert.Equal(SimilarityMetrics.Spearman, result.PrimaryMetric);
        Assert.Equal((600, 200, 200), (result.Split.TrainRows, result.Split.ValidationRows, result.Split.TestRows));
        Assert.Equal(TrialStatus.Succeeded, result.Trials[0].Status);
        Assert.Equal(TrialStatus.Skipped, result.Trials[1].Status);
        Assert.Equal("lexical-lightgbm", result.Best);
        var errors = prepared.LargestErrors(result.Trials[0], 5);
        Assert.Equal(5, errors.Count);
        Assert.True(errors[0].AbsoluteError >= errors[4].AbsoluteError);
        Assert.True(errors[0].Line > 0);
    }
}

/// <summary>The MiniLM candidates on tiny data: they run and learn (they share the cores with the other MiniLM tests, so one at a time).</summary>
[Collection(MiniLmCollection.Name)]
public sealed class MiniLmSimilarityTests(ITestOutputHelper output)
{
    private static readonly TrainContext Context = new(TaskKind.SentenceSimilarity, 0, 42, ComputeDevice.Auto);

    [Fact]
    public async Task Zero_shot_minilm_ranks_sts_dev_pairs()
    {
        var dev = SimilarityTestData.Sts("dev", 100);
        using var model = await SimilarityCandidates.Create("minilm-zeroshot").FitAsync(dev, dev, Context, CancellationToken.None);
        var metrics = SimilarityMetrics.Compute(dev.Labels, model.Predict(dev).Values);
        output.WriteLine($"zero-shot: spearman {metrics[SimilarityMetrics.Spearman]:F3}, pearson {metrics[SimilarityMetrics.Pearson]:F3}, mse {metrics[SimilarityMetrics.Mse]:F3}");
        Assert.True(metrics[SimilarityMetrics.Spearman] > 0.7, $"spearman {metrics[SimilarityMetrics.Spearman]}");
    }

    // The same 8 pairs every step, no warm-up: the training loss must fall within 5 steps.
    private static readonly MiniLmFineTuneOptions Tiny = new()
    {
        Epochs = 5, BatchSize = 8, MaxLength = 32, LearningRate = 1e-4, WarmupFraction = 0, Patience = 10,
    };

    [Fact]
    public Task Bi_encoder_training_steps_lower_the_loss() => LossFalls(TorchPairCandidates.BiEncoder(Tiny));

    [Fact]
    public Task Cross_encoder_training_steps_lower_the_loss() => LossFalls(TorchPairCandidates.CrossEncoder(Tiny with { LearningRate = 3e-4, MaxLength = 64 }));

    [Fact]
    public Task Bi_encoder_steps_in_bfloat16_lower_the_loss() =>
        LossFalls(TorchPairCandidates.BiEncoder(Tiny), Context with { Device = ComputeDevice.Cpu, Precision = TrainingPrecision.BFloat16 });

    private async Task LossFalls(ICandidate<SentencePairs> candidate, TrainContext? context = null)
    {
        var pairs = SimilarityTestData.Sts("train", 8);
        using var model = await candidate.FitAsync(pairs, pairs, context ?? Context, CancellationToken.None);
        var steps = model.Curves.Single(c => c.Per == "step").Values;
        var validation = model.Curves.Single(c => c.Name.StartsWith("validation MSE", StringComparison.Ordinal)).Values;
        output.WriteLine($"{candidate.Name}: step losses {string.Join(", ", steps.Select(v => v.ToString("F4")))}; validation MSE {string.Join(", ", validation.Select(v => v.ToString("F4")))}");
        Assert.Equal(5, steps.Count);
        Assert.Equal(6, validation.Count);
        Assert.True(steps[^1] < steps[0], $"loss {steps[0]} -> {steps[^1]}");
        var predicted = model.Predict(pairs).Values;
        Assert.All(predicted, p => Assert.True(float.IsFinite(p)));
    }
}
