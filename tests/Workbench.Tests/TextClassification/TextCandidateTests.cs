using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;
using MLWorkbench.Experiments;

namespace MLWorkbench.Tests.TextClassification;

public sealed class TextCandidateTests(TextTestData data) : IClassFixture<TextTestData>
{
    private static readonly TorchTextOptions TinyGru = new() { MaxTokens = 16, Width = 16, Hidden = 16, MaxEpochs = 12, Patience = 12, LearningRate = 1e-2, BatchSize = 16, Dropout = 0.1 };
    private static readonly TorchTextOptions TinyTransformer = new() { MaxTokens = 16, Width = 32, Depth = 1, Heads = 2, MaxEpochs = 12, Patience = 12, LearningRate = 3e-3, BatchSize = 16, Dropout = 0.1 };

    private static async Task<double> TestAccuracy(ICandidate<TextExamples> candidate, PreparedTextExperiment prepared)
    {
        var classes = prepared.Train.ClassNames.Count;
        using var model = await candidate.FitAsync(prepared.Train, prepared.Validation, new TrainContext(TaskKind.TextClassification, classes, 1, ComputeDevice.Cpu), CancellationToken.None);
        return ClassificationMetrics.Compute(prepared.Test.Labels, model.Predict(prepared.Test), classes)[ClassificationMetrics.Accuracy];
    }

    [Theory]
    [InlineData("ngram-sdca")]
    [InlineData("ngram-lbfgs")]
    [InlineData("ngram-svm")]
    public async Task NgramPipelinesLearnIntentsInEnglishAndChinese(string name)
    {
        var prepared = TextExperiment.Prepare("intents", data.Intents, null, "text", "intent", 0.2, 0.25, 3, ComputeDevice.Cpu, [name]);
        var accuracy = await TestAccuracy(TextCandidates.Create(name), prepared);
        Assert.True(accuracy >= 0.8, $"{name} test accuracy {accuracy:0.000} on intents (chance 0.1).");
    }

    [Fact]
    public async Task NgramPipelineLearnsChineseOnlyIntents()
    {
        var prepared = TextExperiment.Prepare("intents-zh", data.ChineseIntents, null, "text", "intent", 0.2, 0.25, 3, ComputeDevice.Cpu, ["ngram-lbfgs"]);
        Assert.All(prepared.Train.Texts, t => Assert.DoesNotContain(' ', t));
        var accuracy = await TestAccuracy(TextCandidates.Create("ngram-lbfgs"), prepared);
        Assert.True(accuracy >= 0.7, $"ngram-lbfgs test accuracy {accuracy:0.000} on Chinese intents (chance 0.1).");
    }

    [Fact]
    public async Task NgramSvmLearnsTwoClassesAndItsSettingsChangeTheModel()
    {
        // Two classes go through the same one-versus-all SVMs as many: calibrated probabilities that sum to one.
        var lines = File.ReadAllLines(data.Keywords);
        var twoClasses = data.Write("two-keywords.csv", [lines[0], .. lines.Skip(1).Where(l => !l.EndsWith(",charlie", StringComparison.Ordinal))]);
        var prepared = TextExperiment.Prepare("two-keywords", twoClasses, null, "text", "label", 0.2, 0.25, 3, ComputeDevice.Cpu, ["ngram-svm"]);
        Assert.Equal(2, prepared.Train.ClassNames.Count);
        var accuracy = await TestAccuracy(TextCandidates.Create("ngram-svm"), prepared);
        Assert.True(accuracy >= 0.8, $"ngram-svm test accuracy {accuracy:0.000} on two keyword classes (chance 0.5).");

        var context = new TrainContext(TaskKind.TextClassification, 2, 1, ComputeDevice.Cpu);
        using var words = await new NgramSvmCandidate(wordNgrams: 1, charNgrams: 3, lambda: 1e-2, iterations: 2).FitAsync(prepared.Train, prepared.Validation, context, CancellationToken.None);
        using var defaults = await TextCandidates.Create("ngram-svm").FitAsync(prepared.Train, prepared.Validation, context, CancellationToken.None);
        var (a, b) = (words.Predict(prepared.Test).Probabilities!, defaults.Predict(prepared.Test).Probabilities!);
        Assert.All(a, p => Assert.Equal(1.0, p.Sum(), 3));
        Assert.Contains(Enumerable.Range(0, a.Length), i => Math.Abs(a[i][0] - b[i][0]) > 1e-3);
        Assert.Throws<WorkbenchInputException>(() => new NgramSvmCandidate(wordNgrams: 4));
    }

    [Fact]
    public void NgramSvmIsInThePortfolioWithASearchSpaceAroundItsDefaults()
    {
        Assert.Contains("ngram-svm", TextTrainers.Portfolio);
        var definition = TextTrainers.All.Single(t => t.Name == "ngram-svm");
        var space = definition.Space(TaskKind.TextClassification);
        Assert.Equal(["wordNgrams", "charNgrams", "lambda", "iterations"], space.Parameters.Select(p => p.Name));
        var candidate = definition.Create(TaskKind.TextClassification, new Dictionary<string, object> { ["charNgrams"] = 4, ["lambda"] = 1e-5 });
        Assert.Equal(4, candidate.Hyperparameters["charNgrams"]);
        Assert.Equal(1e-5, candidate.Hyperparameters["lambda"]);
        Assert.Equal(NgramSvmCandidate.DefaultIterations, candidate.Hyperparameters["iterations"]);
    }

    [Fact]
    public async Task ComparisonRunsGruLstmAndTransformerWithCurvesAndSkipsNasBert()
    {
        ICandidate<TextExamples>[] candidates =
        [
            TorchTextCandidates.Torch(TextNetwork.Gru, TinyGru), TorchTextCandidates.Torch(TextNetwork.Lstm, TinyGru),
            TorchTextCandidates.Torch(TextNetwork.Transformer, TinyTransformer), TextCandidates.Create("nasbert"),
        ];
        var prepared = TextExperiment.Prepare("keywords", data.Keywords, null, "text", "label", 0.2, 0.2, 1, ComputeDevice.Cpu, candidates, null);
        var result = await prepared.RunAsync();
        Assert.Equal("text-classification", result.Task);
        Assert.Equal(4, result.Trials.Count);
        Assert.Equal(["gru", "lstm", "transformer"], result.Trials.Take(3).Select(t => t.Candidate));
        foreach (var trial in result.Trials.Take(3))
        {
            Assert.True(trial.Status == TrialStatus.Succeeded, $"{trial.Candidate}: {trial.Reason}");
            Assert.True(trial.Metrics.Test["accuracy"] >= 0.6, $"{trial.Candidate} test accuracy {trial.Metrics.Test["accuracy"]:0.000} on keywords (chance 0.333).");
            Assert.Contains(trial.Curves, c => c.Name == "train cross-entropy" && c.Values.Count > 0);
            Assert.Contains(trial.Curves, c => c.Name == "validation cross-entropy" && c.Values.Count > 0);
            Assert.Equal(0, Convert.ToInt32(trial.Hyperparameters["truncatedTrainTexts"]));
        }
        var nasbert = result.Trials[3];
        Assert.Equal(TrialStatus.Skipped, nasbert.Status);
        Assert.Contains("NasBert2000000.tsm", nasbert.Reason);
        Assert.Contains(result.Best, new[] { "gru", "lstm", "transformer" });
    }

    [Fact]
    public async Task TransformerTrainsInBFloat16AndPredictsInFloat32()
    {
        // 16-bit passes with fp32 master weights (the CUDA default), exercised on the CPU; the trained network predicts in fp32.
        var prepared = TextExperiment.Prepare("keywords", data.Keywords, null, "text", "label", 0.2, 0.2, 1, ComputeDevice.Cpu, ["transformer"]);
        var classes = prepared.Train.ClassNames.Count;
        var context = new TrainContext(TaskKind.TextClassification, classes, 1, ComputeDevice.Cpu, TrainingPrecision.BFloat16);
        using var model = await TorchTextCandidates.Torch(TextNetwork.Transformer, TinyTransformer).FitAsync(prepared.Train, prepared.Validation, context, CancellationToken.None);
        var predictions = model.Predict(prepared.Test);
        var accuracy = ClassificationMetrics.Compute(prepared.Test.Labels, predictions, classes)[ClassificationMetrics.Accuracy];
        Assert.True(accuracy >= 0.6, $"bf16 transformer test accuracy {accuracy:0.000} on keywords (chance 0.333).");
        Assert.All(predictions.Probabilities!, p => Assert.Equal(1.0, p.Sum(), 3));
    }

    [Fact]
    public async Task TokenLimitTruncatesAndCounts()
    {
        var prepared = TextExperiment.Prepare("keywords", data.Keywords, null, "text", "label", 0.2, 0.2, 1, ComputeDevice.Cpu,
            [TorchTextCandidates.Torch(TextNetwork.Gru, TinyGru with { MaxTokens = 4, MaxEpochs = 1 })], null);
        var result = await prepared.RunAsync();
        Assert.Equal(TrialStatus.Succeeded, result.Trials[0].Status);
        Assert.Equal(prepared.Train.Rows, Convert.ToInt32(result.Trials[0].Hyperparameters["truncatedTrainTexts"]));
    }
}
