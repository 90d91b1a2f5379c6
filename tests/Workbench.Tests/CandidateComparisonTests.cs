using MLWorkbench.Evaluation;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.AutoML;

namespace MLWorkbench.Tests;

public class CandidateComparisonTests
{
    /// <summary>A model that predicts one constant, and says whether it was disposed.</summary>
    private sealed class Constant(float value) : IDisposable
    {
        public float Value => value;

        public bool Disposed { get; private set; }

        public Predictions Predict(int rows) => Predictions.Regression(Enumerable.Repeat(value, rows).ToArray());

        public void Dispose() => Disposed = true;
    }

    private static readonly float[] Labels = [1, 2, 3, 4];

    private static CandidateComparison<Constant> Loop(Func<Constant, Task>? save) => new()
    {
        Task = TaskKind.Regression,
        Classes = 0,
        Validation = (Labels, m => m.Predict(Labels.Length)),
        Test = (Labels, m => m.Predict(Labels.Length)),
        Curves = _ => [],
        RecordTest = (trial, predicted) => trial.TestPredictions = predicted.Values.Select(v => (double)v).ToList(),
        SaveAsync = save is null ? null : (model, _, _) => save(model),
    };

    private static ExperimentResult Result() => new() { Name = "loop", PrimaryMetric = "rmse", HigherIsBetter = false };

    private static CandidateComparison<Constant>.Entrant Fits(string name, Constant model) =>
        new(name, ModelFamily.MlNet, new Dictionary<string, object?>(), null, _ => Task.FromResult(model));

    [Fact]
    public async Task Every_candidate_is_recorded_and_only_the_best_by_validation_is_kept_and_saved()
    {
        Constant? saved = null;
        var far = new Constant(10);
        var near = new Constant(2.5f);
        var middle = new Constant(5);
        var result = Result();
        await Loop(model => { saved = model; Assert.False(model.Disposed); return Task.CompletedTask; }).RunAsync(result,
        [
            Fits("far", far),
            new("skipped", ModelFamily.Torch, new Dictionary<string, object?>(), "no weights here", _ => throw new InvalidOperationException("must not train")),
            Fits("near", near),
            new("broken", ModelFamily.Torch, new Dictionary<string, object?>(), null, _ => throw new InvalidDataException("bad settings")),
            Fits("middle", middle),
        ], null, CancellationToken.None);

        Assert.Equal(["far", "skipped", "near", "broken", "middle"], result.Trials.Select(t => t.Candidate));
        Assert.Equal([TrialStatus.Succeeded, TrialStatus.Skipped, TrialStatus.Succeeded, TrialStatus.Failed, TrialStatus.Succeeded],
            result.Trials.Select(t => t.Status));
        Assert.Equal("no weights here", result.Trials[1].Reason);
        Assert.Contains("bad settings", result.Trials[3].Reason);
        Assert.Equal("near", result.Best);
        Assert.Same(near, saved);
        Assert.True(far.Disposed && near.Disposed && middle.Disposed); // the kept one too, once saved
        Assert.Equal(Enumerable.Repeat(2.5, 4), result.Trials[2].TestPredictions!);
    }

    [Fact]
    public async Task A_tie_at_four_significant_digits_goes_to_the_faster_model_and_is_saved_as_best()
    {
        // rmse 1.118034 (a constant 2.5 on labels 1..4) against 1.118034 + 4e-7 (2.501): a tie at 4 significant digits, so the
        // one that trained faster wins although it ran second and is a hair worse; a clearly better slow one still wins.
        Constant? saved = null;
        var slow = new Constant(2.5f);
        var fast = new Constant(2.501f);
        var result = Result();
        var loop = Loop(model => { saved = model; return Task.CompletedTask; });
        await loop.RunAsync(result,
        [
            new("slow", ModelFamily.MlNet, new Dictionary<string, object?> { ["iterations"] = 100 }, null, async token => { await Task.Delay(300, token); return slow; },
                new Dictionary<string, object?> { ["iterations"] = 10 }),
            Fits("fast", fast),
            Fits("far", new Constant(9)),
        ], null, CancellationToken.None);

        Assert.True(result.Trials[0].Metrics.Validation["rmse"] < result.Trials[1].Metrics.Validation["rmse"]);
        Assert.True(SelectionRule.Tied(result.Trials[0].Metrics.Validation["rmse"], result.Trials[1].Metrics.Validation["rmse"]));
        Assert.Equal("fast", result.Best);
        Assert.Same(fast, saved);
        Assert.True(slow.Disposed);
        // The defaults an entrant brings are recorded by its name; one without has none.
        Assert.Equal(10, Assert.Single(result.CandidateDefaults!, d => d.Key == "slow").Value["iterations"]);
        Assert.Single(result.CandidateDefaults!);

        var clear = Result();
        await Loop(model => { saved = model; return Task.CompletedTask; }).RunAsync(clear,
        [
            new("slow", ModelFamily.MlNet, new Dictionary<string, object?>(), null, async token => { await Task.Delay(300, token); return new Constant(2.5f); }),
            Fits("fast", new Constant(2.6f)),
        ], null, CancellationToken.None);
        Assert.Equal("slow", clear.Best);
        Assert.Equal(2.5f, saved!.Value);
    }

    [Theory]
    [InlineData(0.97222, 0.97224, true)]
    [InlineData(0.9722, 0.9723, false)]
    [InlineData(1.0, 0.99996, true)]
    [InlineData(52.34, 52.35, false)]
    [InlineData(52.341, 52.344, true)]
    public void Scores_tie_when_equal_at_four_significant_digits(double a, double b, bool tied) =>
        Assert.Equal(tied, SelectionRule.Tied(a, b));

    [Fact]
    public void Among_tied_scores_training_time_then_latency_then_size_decide()
    {
        static TrialResult Trial(double accuracy, double seconds, double micros, long? bytes) => new()
        {
            Metrics = new TrialMetrics { Validation = new() { ["accuracy"] = accuracy } }, TrainSeconds = seconds, PredictMicrosecondsPerRow = micros, ModelBytes = bytes,
        };
        int Compare(TrialResult x, TrialResult y) => SelectionRule.Compare(x, y, "accuracy", higherIsBetter: true);

        Assert.True(Compare(Trial(0.95, 9, 9, 9), Trial(0.94, 1, 1, 1)) < 0); // the score first
        Assert.True(Compare(Trial(0.95, 2, 1, 1), Trial(0.95, 1, 9, 9)) > 0); // then training time
        Assert.True(Compare(Trial(0.95, 1, 2, 1), Trial(0.95, 1, 3, 0)) < 0); // then latency
        Assert.True(Compare(Trial(0.95, 1, 0, 1), Trial(0.95, 1, 3, 9)) > 0); // an unmeasured latency is not a fast one
        Assert.True(Compare(Trial(0.95, 1, 2, 100), Trial(0.95, 1, 2, null)) < 0); // then size, unknown last
        Assert.Equal(0, Compare(Trial(0.95, 1, 2, 3), Trial(0.95, 1, 2, 3))); // then run order (a stable sort)
    }

    [Fact]
    public async Task A_model_that_cannot_be_saved_leaves_the_comparison_and_says_why()
    {
        var result = Result();
        await Loop(_ => throw new IOException("disk full")).RunAsync(result, [Fits("only", new Constant(2))], null, CancellationToken.None);
        Assert.Equal(TrialStatus.Succeeded, result.Trials[0].Status);
        Assert.Equal("only", result.Best);
        Assert.StartsWith("the model was not saved: IOException: disk full", result.Trials[0].Reason);
    }

    [Fact]
    public async Task Cancelling_stops_before_the_next_candidate_and_keeps_the_finished_trials()
    {
        using var cancel = new CancellationTokenSource();
        var result = Result();
        await Loop(null).RunAsync(result,
        [
            new("first", ModelFamily.MlNet, new Dictionary<string, object?>(), null, _ => { cancel.Cancel(); return Task.FromResult(new Constant(1)); }),
            Fits("second", new Constant(2)),
        ], null, cancel.Token);
        Assert.Equal(["first"], result.Trials.Select(t => t.Candidate));
    }
}
