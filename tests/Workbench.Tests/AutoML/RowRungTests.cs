using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Results;
using MLWorkbench.Search;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.AutoML;

/// <summary>Issue 15: successive halving over rows in a tabular holdout search (large tables), none in k-fold searches.</summary>
public class RowRungTests
{
    /// <summary>Proposes the given configurations in turn after the one portfolio trial: which trials run is fixed by the test.</summary>
    private sealed class Sequence(params TrialConfig[] configs) : ISampler
    {
        public string Name => "sequence";

        public TrialConfig Propose(JointSearchSpace space, IReadOnlyList<TrialOutcome> history, Random random) =>
            configs[Math.Clamp(history.Count - 1, 0, configs.Length - 1)]; // the one portfolio trial comes first
    }

    private static TrialConfig LightGbm(int iterations, double rate) => new("lightgbm", new Dictionary<string, object>
    {
        ["numberOfLeaves"] = 16, ["numberOfIterations"] = iterations, ["learningRate"] = rate, ["minimumExampleCountPerLeaf"] = 10,
        ["featureFraction"] = 1.0, ["l2Regularization"] = 1e-6,
    });

    private static AutoMLOptions Options(int holdoutAbove) => new()
    {
        Task = TaskKind.Regression, Label = "y", HoldoutAboveRows = holdoutAbove, RowRungMinRows = 200, BudgetSeconds = null,
        MaxTrials = 3, Seed = 5, Trainers = ["lightgbm"], Device = ComputeDevice.Cpu,
    };

    private static async Task<(TabularObjective Objective, ExperimentResult Result)> SearchAsync(TabularData data, AutoMLOptions options)
    {
        var objective = TabularObjective.Prepare("rows", data, Enumerable.Range(0, data.Rows.Count).ToArray(), null, null, options);
        // The portfolio: one weak configuration (7 iterations at a slow rate), which must still be judged on every row.
        objective.StartingPoints = [LightGbm(7, 0.02)];
        using var store = SqliteStudyStore.InMemory();
        var sampler = new Sequence(LightGbm(200, 0.1), LightGbm(2, 0.01));
        var result = await new Study(store, sampler, Pruners.Create(options.Pruner), AutoMLSearch.Settings(options)).RunAsync(objective);
        return (objective, result);
    }

    [Fact]
    public void Rungs_are_a_ninth_a_third_and_all_rows_and_none_fall_below_the_minimum()
    {
        Assert.Equal([2_000, 6_000, 18_000], TabularObjective.RowRungs(18_000, 1_000));
        Assert.Equal([2_000, 6_000], TabularObjective.RowRungs(6_000, 1_000));
        Assert.Equal([1_500], TabularObjective.RowRungs(1_500, 1_000));
        Assert.Equal(1_000, new AutoMLOptions { Label = "y" }.RowRungMinRows);
    }

    [Fact]
    public void Every_prefix_of_the_rung_order_holds_every_class_in_its_share()
    {
        // 900 rows of class 0, 90 of class 1, 10 of class 2.
        var labels = Enumerable.Range(0, 1000).Select(i => i < 900 ? 0f : i < 990 ? 1f : 2f).ToArray();
        var order = TabularObjective.RungOrder(labels, classification: true, seed: 3);

        Assert.Equal(Enumerable.Range(0, 1000), order.Order());
        Assert.Equal([0f, 1f, 2f], order[..3].Select(r => labels[r]).Order());
        var third = order[..333].Select(r => labels[r]).ToArray();
        Assert.InRange(third.Count(l => l == 1f), 29, 31);
        Assert.InRange(third.Count(l => l == 2f), 3, 4);
        Assert.Equal(order, TabularObjective.RungOrder(labels, classification: true, seed: 3));
    }

    [Fact]
    public async Task A_holdout_search_fits_sampled_trials_on_rising_rows_stops_a_poor_one_low_and_never_cuts_the_portfolio()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 3_000));

        var (objective, result) = await SearchAsync(data, Options(holdoutAbove: 1_000));

        Assert.Equal(1, objective.Folds);
        var holdoutTrainRows = result.Split!.TrainRows - result.Split.ValidationRows;
        var rungs = TabularObjective.RowRungs(holdoutTrainRows, 200);
        Assert.Equal(3, rungs.Count);
        Assert.Contains($"fidelity=rows(eta=3, rungs={string.Join('/', rungs)}, portfolio=full);", objective.Fingerprint);
        var trials = result.Trials.OrderBy(t => t.Number).ToList();
        Assert.Equal(3, trials.Count);

        // The portfolio's weak default: all rows in one fit, scored, never stopped.
        Assert.Equal(TrialStatus.Succeeded, trials[0].Status);
        Assert.Null(trials[0].Rungs);

        // The first sampled trial goes through every rung, on rising rows, its score the last rung's.
        var good = trials[1];
        Assert.Equal(TrialStatus.Succeeded, good.Status);
        Assert.Equal(rungs.Select(r => (double)r), good.Rungs!.Select(r => r.Fidelity));
        Assert.All(good.Rungs!, r => Assert.Equal("rows", r.Unit));
        Assert.Equal(["promoted", "promoted", "final"], good.Rungs!.Select(r => r.Outcome));
        Assert.Equal(good.Rungs![^1].Value, good.Metrics.Validation["rmse"]);
        Assert.DoesNotContain(good.Metrics.Validation.Keys, k => k.StartsWith("asha.", StringComparison.Ordinal));
        Assert.True(good.Rungs![0].Value > good.Rungs[^1].Value, "more rows should fit better");

        // A poor configuration is worse than the good one at the lowest rung and stops there.
        var poor = trials[2];
        Assert.Equal(TrialStatus.Pruned, poor.Status);
        var stopped = Assert.Single(poor.Rungs!);
        Assert.Equal(rungs[0], stopped.Fidelity);
        Assert.Equal("stopped", stopped.Outcome);
        Assert.Contains($"stopped by successive halving at rung 0 ({rungs[0]:N0} of {holdoutTrainRows:N0} training rows)", poor.Reason);

        // The winner is refit on every training row, as before.
        Assert.Equal(1, result.AutoML!.Final!.Number);
        Assert.Equal(data.Rows.Count, result.AutoML.FinalTrainRows);
    }

    [Fact]
    public async Task A_k_fold_search_runs_no_row_rungs_and_keeps_its_fingerprint()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 3_000));

        var (objective, result) = await SearchAsync(data, Options(holdoutAbove: 15_000));

        Assert.Equal(5, objective.Folds);
        Assert.DoesNotContain("fidelity=", objective.Fingerprint);
        Assert.All(result.Trials, t => Assert.Null(t.Rungs));
        Assert.All(result.Trials.Where(t => t.Status == TrialStatus.Succeeded), t => Assert.Equal(5, t.Folds!.Count));
    }
}
