using MLWorkbench.Evaluation;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Tests.Images;
using TorchSharp;
using MLWorkbench.Experiments;
using static TorchSharp.torch;

namespace MLWorkbench.Tests;

/// <summary>
/// Mixed precision: 16-bit forward and backward passes with fp32 master weights, fp16 loss scaling, and the run-level
/// <c>precision</c> setting. CUDA is not on the test machines, so the 16-bit paths are exercised on the CPU, where
/// libtorch computes in bf16 and fp16 too.
/// </summary>
public sealed class MixedPrecisionTests(ImageTestData data) : IClassFixture<ImageTestData>
{
    [Fact]
    public void Auto_is_fp32_on_the_cpu_and_explicit_requests_are_honoured()
    {
        Assert.Equal(TrainingPrecision.Float32, TorchDevices.ResolvePrecision(TrainingPrecision.Auto, CPU));
        Assert.Equal(TrainingPrecision.BFloat16, TorchDevices.ResolvePrecision(TrainingPrecision.BFloat16, CPU));
        Assert.Equal(TrainingPrecision.Float16, TorchDevices.ResolvePrecision(TrainingPrecision.Float16, CPU));
        Assert.All(TaskNames.Precisions, n => Assert.Equal(n, TaskNames.ParsePrecision(n)!.Value.ToName()));
        Assert.Null(TaskNames.ParsePrecision("fp8"));
    }

    [Fact]
    public void Master_weights_keep_updates_too_small_for_16_bits()
    {
        // bf16 has 8 significant bits: next to 1.0 its step is 2^-7 = 0.0078, so ten SGD steps of 1e-4 each would be lost
        // in a bf16 weight. The fp32 master copy keeps them; the network computes with the rounded value meanwhile.
        random.manual_seed(1);
        using var layer = nn.Linear(1, 1, hasBias: false);
        using (no_grad()) layer.weight!.fill_(1f);
        using var precision = MixedPrecision.Create(layer, TrainingPrecision.BFloat16, CPU, p => optim.SGD(p, 1e-4));
        Assert.Equal(ScalarType.BFloat16, layer.weight!.dtype);
        using var x = ones(1, 1);
        for (var i = 0; i < 10; i++)
        {
            using var scope = NewDisposeScope();
            Assert.True(precision.Step(MixedPrecision.Float(layer.call(precision.Input(x))).sum()));
        }
        Assert.Equal(1f, layer.weight.to(ScalarType.Float32).item<float>());
        precision.Finish();
        Assert.Equal(ScalarType.Float32, layer.weight.dtype);
        Assert.Equal(1 - 10 * 1e-4, layer.weight.item<float>(), 1e-6);
    }

    [Fact]
    public void Normalisation_layers_keep_fp32_weights_and_statistics()
    {
        random.manual_seed(3);
        using var network = nn.Sequential(nn.Conv2d(1, 4, 3, padding: 1), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 8 * 8, 8), nn.LayerNorm(8), nn.Linear(8, 3));
        using var precision = MixedPrecision.Create(network, TrainingPrecision.BFloat16, CPU, p => optim.AdamW(p, 1e-3));
        var types = network.named_parameters().Select(p => (p.name, p.parameter.dtype)).Concat(network.named_buffers().Select(b => (b.name, b.buffer.dtype))).ToDictionary();
        Assert.Equal(ScalarType.BFloat16, types["0.weight"]);
        Assert.Equal(ScalarType.BFloat16, types["3.weight"]);
        Assert.All(new[] { "1.weight", "1.bias", "1.running_mean", "1.running_var", "4.weight", "4.bias" }, name => Assert.Equal(ScalarType.Float32, types[name]));

        // A training step goes through (16-bit activations meet fp32 norm weights) and moves the batch-norm statistics.
        using var x = randn(16, 1, 8, 8);
        using var y = randint(0, 3, [16]);
        network.train();
        using (NewDisposeScope())
            Assert.True(precision.Step(nn.functional.cross_entropy(MixedPrecision.Float(network.call(precision.Input(x))), y)));
        Assert.NotEqual(0f, network.named_buffers().Single(b => b.name == "1.running_mean").buffer.abs().sum().item<float>());
        precision.Finish();
        Assert.All(network.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Fact]
    public void Fp16_overflow_skips_the_step_and_lowers_the_loss_scale_until_steps_go_through()
    {
        random.manual_seed(2);
        using var layer = nn.Linear(4, 1);
        using var precision = MixedPrecision.Create(layer, TrainingPrecision.Float16, CPU, p => optim.SGD(p, 0.01), initialLossScale: 1e9);
        using var x = randn(8, 4);
        var before = precision.Snapshot();

        // A scale of 1e9 turns every fp16 gradient into infinity (fp16 ends at 65,504): nothing may change.
        using (var scope = NewDisposeScope())
            Assert.False(precision.Step(MixedPrecision.Float(layer.call(precision.Input(x))).pow(2).mean()));
        Assert.Equal(1, precision.SkippedSteps);
        Assert.Equal(5e8, precision.LossScale);
        var after = precision.Snapshot();
        Assert.All(before, kv => Assert.True(kv.Value.eq(after[kv.Key]).all().item<bool>(), kv.Key));

        // The scale halves on each overflow until the gradients fit; then the step goes through and the weights move.
        var applied = false;
        for (var i = 0; i < 40 && !applied; i++)
        {
            using var scope = NewDisposeScope();
            applied = precision.Step(MixedPrecision.Float(layer.call(precision.Input(x))).pow(2).mean());
        }
        Assert.True(applied);
        Assert.InRange(precision.LossScale, 1, 65504);
        var moved = precision.Snapshot();
        Assert.False(before["weight"].eq(moved["weight"]).all().item<bool>());
        Assert.Equal(ScalarType.Float32, moved["weight"].dtype);
        foreach (var t in before.Values.Concat(after.Values).Concat(moved.Values)) t.Dispose();
    }

    [Theory]
    [InlineData(TrainingPrecision.BFloat16)]
    [InlineData(TrainingPrecision.Float16)]
    public async Task Cnn_trains_in_16_bits_and_the_trained_network_is_fp32(TrainingPrecision format)
    {
        var prepared = ImageExperiment.Prepare("shapes", data.Shapes, null, 0.2, 0.2, 3, ComputeDevice.Cpu, ["pixels-lbfgs"]);
        var candidate = TorchImageCandidates.Cnn(new TorchImageOptions { ImageSize = 16, Width = 16, Depth = 2, MaxEpochs = 12, Patience = 12, BatchSize = 32 });
        var context = new TrainContext(TaskKind.ImageClassification, 3, 1, ComputeDevice.Cpu, format);
        using var model = (TorchImageModel)await candidate.FitAsync(prepared.Train, prepared.Validation, context, CancellationToken.None);
        // Prediction feeds fp32 images and reading the filters reads fp32 values: both fail on a network left in 16 bits.
        var predictions = model.Predict(prepared.Test);
        var accuracy = ClassificationMetrics.Compute(prepared.Test.Labels, predictions, 3)[ClassificationMetrics.Accuracy];
        Assert.True(accuracy >= 0.7, $"{format} CNN test accuracy {accuracy:0.000} on shapes (chance 0.333).");
        Assert.All(predictions.Probabilities!, p => Assert.Equal(1.0, p.Sum(), 3));
        Assert.Equal(16, model.FirstLayerFilters!.Filters.Count);
        Assert.Contains(model.Curves, c => c.Name == "validation accuracy" && c.Values.Count > 0);
    }

    [Fact]
    public async Task A_suite_sets_the_precision_and_the_results_record_it()
    {
        using var dir = new TempFolder();
        string Suite(string precision) => SuiteSettingsTests.ShapesSuite(dir, "      - cnn: { maxEpochs: 2, width: 8, depth: 1 }", suiteKeys: $"precision: {precision}\ndevice: cpu");
        var images = Path.Combine(dir.Path, "shapes");

        var error = new StringWriter();
        Assert.Equal(2, await Cli.Cli.RunAsync(["run", Suite("fp8")], new StringWriter(), error, CancellationToken.None));
        Assert.Contains("line 3, column 12", error.ToString());
        Assert.Contains("'precision' must be one of auto, fp32, bf16, fp16, not 'fp8'", error.ToString());
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "out")));

        error = new StringWriter();
        Assert.Equal(0, await Cli.Cli.RunAsync(["run", Suite("bf16")], new StringWriter(), error, CancellationToken.None));
        var results = ResultsFile.Read(Path.Combine(dir.Path, "out", "results.json"));
        Assert.Equal("cpu, bf16 mixed precision", results.Environment.Device);
        Assert.Equal(TrialStatus.Succeeded, results.Experiments.Single().Trials.Single().Status);

        // mlwb automl --precision: an unknown format is one sentence and exit 2, before anything is written.
        error = new StringWriter();
        var automlOut = Path.Combine(dir.Path, "automl");
        Assert.Equal(2, await Cli.Cli.RunAsync(["automl", "--task", "image-classification", "--train", images, "--precision", "half", "--out", automlOut],
            new StringWriter(), error, CancellationToken.None));
        Assert.Equal("Unknown precision 'half'; use auto, fp32, bf16, fp16.", error.ToString().Trim());
        Assert.False(Directory.Exists(automlOut));
    }
}
