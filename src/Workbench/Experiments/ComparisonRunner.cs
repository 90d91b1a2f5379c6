using System.Diagnostics;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Experiments;

/// <summary>
/// Compares candidates over examples of any kind on one split: each is trained on the training examples,
/// scored on the validation examples (selection) and the test examples (the report's figures), timed, and
/// recorded; one that throws is <c>failed</c> with its reason, one that cannot run here is <c>skipped</c>.
/// </summary>
public sealed class ComparisonRunner<TData> where TData : ILabelledData
{
    /// <summary>
    /// Runs every candidate. <paramref name="result"/> comes with the experiment's identity (name, task, metric,
    /// dataset, split) filled in; this adds the trials, the test labels and the selected candidate.
    /// </summary>
    public async Task<ExperimentResult> RunAsync(ExperimentResult result, TaskKind task, TData train, TData validation, TData test,
        IReadOnlyList<IExampleCandidate<TData>> candidates, int seed, Models.Torch.ComputeDevice device,
        IProgress<TrialProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var classes = train.ClassNames?.Count ?? 0;
        var context = new TrainContext(task, classes, seed, device);
        result.PrimaryMetric = TaskMetrics.Primary(task);
        result.HigherIsBetter = TaskMetrics.HigherIsBetter(task);
        result.ClassNames = train.ClassNames?.ToList();
        result.TestLabels = test.Labels.Select(v => (double)v).ToList();
        for (var i = 0; i < candidates.Count && !cancellationToken.IsCancellationRequested; i++)
        {
            var candidate = candidates[i];
            progress?.Report(new TrialProgress(result.Name, candidate.Name, i, candidates.Count, null));
            var trial = new TrialResult
            {
                Candidate = candidate.Name, Family = candidate.Family.ToName(),
                Hyperparameters = new Dictionary<string, object?>(candidate.Hyperparameters),
            };
            if (candidate.SkipReason is { } reason)
            {
                trial.Status = TrialStatus.Skipped;
                trial.Reason = reason;
            }
            else
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    using var model = await candidate.FitAsync(train, validation, context, cancellationToken).ConfigureAwait(false);
                    trial.TrainSeconds = clock.Elapsed.TotalSeconds;
                    trial.Metrics.Validation = TaskMetrics.Compute(task, validation.Labels, model.Predict(validation), classes);
                    clock.Restart();
                    var predicted = model.Predict(test);
                    trial.PredictMicrosecondsPerRow = clock.Elapsed.TotalMicroseconds / test.Rows;
                    trial.Metrics.Test = TaskMetrics.Compute(task, test.Labels, predicted, classes);
                    trial.TestPredictions = predicted.Values.Select(v => (double)v).ToList();
                    if (task == TaskKind.BinaryClassification) trial.TestScores = predicted.Probabilities!.Select(p => (double)p[1]).ToList();
                    trial.Curves = model.Curves.ToList();
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    trial.Status = TrialStatus.Failed;
                    trial.Reason = ExperimentRunner.Describe(e);
                    trial.TrainSeconds = clock.Elapsed.TotalSeconds;
                }
            }
            result.Trials.Add(trial);
            progress?.Report(new TrialProgress(result.Name, candidate.Name, i, candidates.Count, trial.Status));
        }
        result.Best = result.Trials
            .Where(t => t.Status == TrialStatus.Succeeded && t.Metrics.Validation.ContainsKey(result.PrimaryMetric))
            .OrderBy(t => t.Metrics.Validation[result.PrimaryMetric] * (result.HigherIsBetter ? -1 : 1))
            .FirstOrDefault()?.Candidate;
        return result;
    }
}
