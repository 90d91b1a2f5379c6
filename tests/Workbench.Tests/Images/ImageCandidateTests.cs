using MLWorkbench.Evaluation;
using MLWorkbench.Experiments;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.AutoML;

namespace MLWorkbench.Tests.Images;

public sealed class ImageCandidateTests(ImageTestData data) : IClassFixture<ImageTestData>
{
    private static readonly TorchImageOptions Tiny = new() { ImageSize = 16, Width = 16, Depth = 2, MaxEpochs = 12, Patience = 12, BatchSize = 32 };

    private (ImageExamples Train, ImageExamples Validation, ImageExamples Test) Split(string path, double validation = 0.2, double test = 0.2)
    {
        var prepared = ImageExperiment.Prepare("t", path, null, validation, test, 3, ComputeDevice.Cpu, ["pixels-lbfgs"]);
        return (prepared.Train, prepared.Validation, prepared.Test);
    }

    private static async Task<double> TestAccuracy(ICandidate<ImageExamples> candidate, ImageExamples train, ImageExamples validation, ImageExamples test)
    {
        using var model = await candidate.FitAsync(train, validation, new TrainContext(TaskKind.ImageClassification, train.ClassNames.Count, 1, ComputeDevice.Cpu), CancellationToken.None);
        return ClassificationMetrics.Compute(test.Labels, model.Predict(test), train.ClassNames.Count)[ClassificationMetrics.Accuracy];
    }

    [Fact]
    public async Task CnnLearnsShapes()
    {
        var (train, validation, test) = Split(data.Shapes);
        var candidate = TorchImageCandidates.Cnn(Tiny);
        using var model = (TorchImageModel)await candidate.FitAsync(train, validation, new TrainContext(TaskKind.ImageClassification, 3, 1, ComputeDevice.Cpu), CancellationToken.None);
        var accuracy = ClassificationMetrics.Compute(test.Labels, model.Predict(test), 3)[ClassificationMetrics.Accuracy];
        Assert.True(accuracy >= 0.7, $"CNN test accuracy {accuracy:0.000} on shapes (chance 0.333).");
        Assert.NotNull(model.FirstLayerFilters);
        Assert.Equal(16, model.FirstLayerFilters!.Filters.Count);
        Assert.Equal(3 * 3 * 3, model.FirstLayerFilters.Filters[0].Length);
        Assert.Contains(model.Curves, c => c.Name == "validation accuracy" && c.Values.Count > 0);
    }

    [Fact]
    public async Task A_cnn_with_too_little_time_for_its_epochs_keeps_the_model_it_trained_and_its_members_share_the_time()
    {
        var (train, validation, test) = Split(data.Shapes);
        var clock = new TickingClock();
        // 40 epochs asked for; at the fake clock's seconds per step only a few fit in 60 s, shared by two members.
        var context = new TrainContext(TaskKind.ImageClassification, 3, 1, ComputeDevice.Cpu)
        {
            TimeLimit = new TrainingTimeLimit(clock, clock.GetTimestamp(), 60, ScoredAfterwards: validation.Rows),
        };
        var options = Tiny with { MaxEpochs = 40, Patience = 40, BatchSize = 16, Members = 2 };
        using var model = (TorchImageModel)await TorchImageCandidates.Cnn(options).FitAsync(train, validation, context, CancellationToken.None);

        var plan = model.Plan;
        Assert.NotNull(plan);
        Assert.Equal(40, plan.ConfiguredEpochs, 6);
        Assert.True(plan.PlannedEpochs < 40 && plan.TrainedExamples > 0, $"planned {plan.PlannedEpochs} epochs, trained {plan.TrainedExamples} examples");
        Assert.True(clock.Seconds < 75, $"the fit read the clock up to {clock.Seconds} s, past its 60 s");
        // Both members trained (each has its curves) and the kept model predicts every test image.
        Assert.Contains(model.Curves, c => c.Name == "validation accuracy (member 2)" && c.Values.Count > 0);
        var predictions = model.Predict(test);
        Assert.Equal(test.Rows, predictions.Probabilities!.Length);
        // Without a limit the same settings plan nothing: the configured epochs, as before.
        using var unlimited = (TorchImageModel)await TorchImageCandidates.Cnn(Tiny with { MaxEpochs = 2 })
            .FitAsync(train, validation, new TrainContext(TaskKind.ImageClassification, 3, 1, ComputeDevice.Cpu), CancellationToken.None);
        Assert.Null(unlimited.Plan);
        Assert.Equal(2, unlimited.Curves.Single(c => c.Name == "validation accuracy").Values.Count);
    }

    [Fact]
    public async Task VisionTransformerLearnsShapes()
    {
        // Grayscale shapes at 16 px with a 2 px patch: a transformer needs more data than a CNN, so the set is larger.
        var folder = data.NewFolder("vit");
        SyntheticShapes.Write(folder, perClass: 150, seed: 21, size: 16, grayscale: true);
        var (train, validation, test) = Split(folder, 0.15, 0.2);
        var options = Tiny with { Width = 32, Depth = 2, Heads = 4, PatchSize = 4, LearningRate = 3e-3, Dropout = 0.0, MaxEpochs = 10, Patience = 10, WeightDecay = 0.01 };
        var accuracy = await TestAccuracy(TorchImageCandidates.Vit(options), train, validation, test);
        Assert.True(accuracy >= 0.55, $"ViT test accuracy {accuracy:0.000} on shapes (chance 0.333).");
    }

    [Fact]
    public async Task PixelLinearModelLearnsDigits()
    {
        var digits = ImageDataset.Load(ImageTestData.Digits).Examples;
        var (train, validation, test) = ImageExperiment.StratifiedSplit(digits, 0.1, 0.2, 4);
        var accuracy = await TestAccuracy(ImageCandidates.Create("pixels-lbfgs"), digits.Subset(train[..500]), digits.Subset(validation), digits.Subset(test));
        Assert.True(accuracy >= 0.85, $"pixels-lbfgs test accuracy {accuracy:0.000} on digits.");
    }

    [Fact]
    public async Task ResNet18CandidateRunsOnAFewImages()
    {
        var folder = data.NewFolder("resnet");
        SyntheticShapes.Write(folder, perClass: 7, seed: 9, size: 32);
        var set = ImageDataset.Load(folder).Examples;
        var (train, validation, test) = ImageExperiment.StratifiedSplit(set, 0.15, 0.15, 1);
        var candidate = ImageCandidates.Create("resnet18-lbfgs");
        Assert.Null(candidate.SkipReason);
        using var model = await candidate.FitAsync(set.Subset(train), set.Subset(validation), new TrainContext(TaskKind.ImageClassification, 3, 1, ComputeDevice.Cpu), CancellationToken.None);
        var predictions = model.Predict(set.Subset(test));
        Assert.Equal(test.Length, predictions.Values.Length);
        Assert.All(predictions.Probabilities!, p => Assert.Equal(1.0, p.Sum(), 3));
    }

    [Fact]
    public async Task ComparisonRunnerRecordsTrialsAndCurves()
    {
        var prepared = ImageExperiment.Prepare("shapes", data.Shapes, null, 0.2, 0.2, 5, ComputeDevice.Cpu, ["pixels-sdca"]);
        var candidates = new[] { prepared.Candidates[0], TorchImageCandidates.Cnn(Tiny with { MaxEpochs = 3 }), TorchImageCandidates.Vit(Tiny with { MaxEpochs = 3 }) };
        var result = new ExperimentResult { Name = "shapes", Task = TaskKind.ImageClassification.ToName(), Dataset = prepared.DatasetInfo };
        var seen = new List<TrialProgress>();
        result = await new ComparisonRunner<ImageExamples>().RunAsync(result, TaskKind.ImageClassification, prepared.Train, prepared.Validation, prepared.Test,
            candidates, 5, ComputeDevice.Cpu, new SynchronousProgress(seen));
        Assert.Equal(3, result.Trials.Count);
        Assert.All(result.Trials, t => Assert.True(t.Status == TrialStatus.Succeeded, $"{t.Candidate}: {t.Reason}"));
        Assert.All(result.Trials.Skip(1), t => Assert.Equal(3, t.Curves.Single(c => c.Name == "validation accuracy").Values.Count));
        Assert.Equal(180, result.Dataset.Rows);
        Assert.Equal(36, result.TestLabels!.Count);
        Assert.Equal(6, seen.Count);
        Assert.NotNull(result.Best);
    }

    [Fact]
    public async Task PreparedExperimentRunsEndToEnd()
    {
        var prepared = ImageExperiment.Prepare("shapes", data.Shapes, null, 0.2, 0.2, 5, ComputeDevice.Cpu, ["pixels-lightgbm"]);
        var result = await prepared.RunAsync();
        Assert.Equal("image-classification", result.Task);
        Assert.Equal("pixels-lightgbm", result.Best);
        Assert.Equal(TrialStatus.Succeeded, result.Trials[0].Status);
        Assert.True(result.Trials[0].Metrics.Test[ClassificationMetrics.Accuracy] > 0.4);
    }

    private sealed class SynchronousProgress(List<TrialProgress> seen) : IProgress<TrialProgress>
    {
        public void Report(TrialProgress value) { lock (seen) seen.Add(value); }
    }
}
