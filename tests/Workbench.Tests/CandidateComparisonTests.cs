using MLWorkbench.Evaluation;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

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
