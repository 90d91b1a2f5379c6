using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Tasks;
using MLWorkbench.Search;

namespace MLWorkbench.Tests;

public class ModelTests
{
    private static (FeatureMatrix Train, FeatureMatrix Validation, FeatureMatrix Test) LinearData(TempFolder dir, int rows = 300)
    {
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, rows));
        var split = HoldoutSplit.Create(data.Rows.Count, 0.2, 0.2, 3);
        var featurizer = TabularFeaturizer.FitRegression(data, "y", split.Train);
        return (featurizer.Transform(data, split.Train), featurizer.Transform(data, split.Validation), featurizer.Transform(data, split.Test));
    }

    private static readonly TrainContext Regression = new(TaskKind.Regression, 0, 1, ComputeDevice.Cpu);

    // Poisson regression (lbfgs) needs non-negative labels; the synthetic line goes below zero.
    public static TheoryData<string> MlNetCandidates() =>
        [.. TrainerCatalog.For(TaskKind.Regression).Where(c => c.Family == ModelFamily.MlNet).Select(c => c.Name).Where(n => n != "lbfgs")];

    [Theory]
    [MemberData(nameof(MlNetCandidates))]
    public async Task MlNet_candidate_learns_a_linear_signal(string name)
    {
        using var dir = new TempFolder();
        var (train, validation, test) = LinearData(dir);
        using var model = await TrainerCatalog.Find(name)!.CreateDefault(TaskKind.Regression).FitAsync(train, validation, Regression, CancellationToken.None);
        var r2 = RegressionMetrics.Compute(test.Labels, model.Predict(test).Values)[RegressionMetrics.R2];
        Assert.True(r2 > 0.6, $"{name}: test R² {r2:0.000}");
    }

    [Fact]
    public async Task Gradient_descent_on_MAE_finds_the_line_and_records_a_falling_loss()
    {
        using var dir = new TempFolder();
        var (train, validation, test) = LinearData(dir);
        using var model = await TrainerCatalog.Find("linear-gd")!.CreateDefault(TaskKind.Regression).FitAsync(train, validation, Regression, CancellationToken.None);
        var loss = model.Curves.Single(c => c.Name == "train MAE").Values;
        Assert.Equal(400, loss.Count);
        Assert.True(loss[^1] < 0.2 * loss[0], $"MAE went from {loss[0]:0.000} to {loss[^1]:0.000}");
        var metrics = RegressionMetrics.Compute(test.Labels, model.Predict(test).Values);
        Assert.True(metrics[RegressionMetrics.Mae] < 0.15, $"test MAE {metrics[RegressionMetrics.Mae]:0.000} (noise is ±0.1)");
    }

    [Fact]
    public async Task TorchSharp_mlp_trains_to_a_low_loss_on_this_machine()
    {
        using var dir = new TempFolder();
        var (train, validation, test) = LinearData(dir);
        var candidate = new MlpCandidate(width: 32, depth: 2, dropout: 0, learningRate: 3e-3, maxEpochs: 150, patience: 30);
        using var model = await candidate.FitAsync(train, validation, Regression with { Device = ComputeDevice.Auto }, CancellationToken.None);
        var curve = model.Curves.Single(c => c.Name == "validation RMSE").Values;
        var rmse = RegressionMetrics.Compute(test.Labels, model.Predict(test).Values)[RegressionMetrics.Rmse];
        Assert.True(rmse < 0.25, $"test RMSE {rmse:0.000}; label spread is about 2");
        Assert.True(curve.Min() < curve[0] / 4, "validation RMSE fell during training");
    }

    [Fact]
    public async Task Same_seed_gives_the_same_torch_model()
    {
        using var dir = new TempFolder();
        var (train, validation, test) = LinearData(dir, rows: 120);
        var candidate = new MlpCandidate(width: 16, depth: 1, maxEpochs: 10, patience: 10);
        using var a = await candidate.FitAsync(train, validation, Regression with { Seed = 5 }, CancellationToken.None);
        using var b = await candidate.FitAsync(train, validation, Regression with { Seed = 5 }, CancellationToken.None);
        Assert.Equal(a.Predict(test).Values, b.Predict(test).Values);
    }

    [Fact]
    public void Regression_metrics_match_hand_computed_values()
    {
        var m = RegressionMetrics.Compute([1f, 2f, 3f, 4f], [1f, 2f, 3f, 6f]);
        Assert.Equal(1.0, m[RegressionMetrics.Rmse], 6);
        Assert.Equal(0.5, m[RegressionMetrics.Mae], 6);
        Assert.Equal(1 - 4.0 / 5.0, m[RegressionMetrics.R2], 6);
    }
}
