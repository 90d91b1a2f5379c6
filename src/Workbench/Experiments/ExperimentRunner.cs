using System.Diagnostics;
using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Experiments;

/// <summary>
/// Trains every candidate of a <see cref="PreparedExperiment"/> on the same training rows, scores it on the
/// validation rows (for selection) and the test rows (for the report), and records time and latency.
/// A candidate that throws is recorded as failed with its reason; the others go on.
/// </summary>
public sealed class ExperimentRunner
{
    /// <summary>
    /// Runs the experiment. When <paramref name="cancellationToken"/> fires, the trial in progress is abandoned and
    /// the result holds the trials finished before; <see cref="ExperimentResult.Trials"/> then has fewer entries
    /// than candidates.
    /// </summary>
    public async Task<ExperimentResult> RunAsync(PreparedExperiment experiment, IProgress<TrialProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var spec = experiment.Spec;
        var result = new ExperimentResult
        {
            Name = spec.Name,
            Task = spec.Task.ToName(),
            PrimaryMetric = TaskMetrics.Primary(spec.Task),
            HigherIsBetter = TaskMetrics.HigherIsBetter(spec.Task),
            Dataset = experiment.DatasetInfo,
            Split = new SplitInfo
            {
                Kind = "holdout", Seed = experiment.Split.Seed, TrainRows = experiment.Split.Train.Length,
                ValidationRows = experiment.Split.Validation.Length, TestRows = experiment.Split.Test.Length,
            },
            ClassNames = experiment.Featurizer.ClassNames?.ToList(),
            TestLabels = experiment.Test.Labels.Select(v => (double)v).ToList(),
        };
        var context = new TrainContext(spec.Task, experiment.Featurizer.ClassNames?.Count ?? 0, spec.Seed, spec.Device, spec.Precision);
        // The best model so far stays loaded so that the selected one can be saved without training it again.
        (ITrainedModel Model, TrialResult Trial, ICandidate Candidate)? best = null;
        double Loss(TrialResult t) => t.Metrics.Validation[result.PrimaryMetric] * (result.HigherIsBetter ? -1 : 1);
        try
        {
            for (var i = 0; i < experiment.Candidates.Count; i++)
            {
                if (cancellationToken.IsCancellationRequested) break;
                var candidate = experiment.Candidates[i];
                progress?.Report(new TrialProgress(spec.Name, candidate.Name, i, experiment.Candidates.Count, null));
                TrialResult trial;
                ITrainedModel? model;
                try
                {
                    (trial, model) = await RunTrialAsync(experiment, candidate, context, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                if (model is not null && trial.Metrics.Validation.ContainsKey(result.PrimaryMetric) && (best is null || Loss(trial) < Loss(best.Value.Trial)))
                {
                    best?.Model.Dispose();
                    best = (model, trial, candidate);
                }
                else model?.Dispose();
                result.Trials.Add(trial);
                progress?.Report(new TrialProgress(spec.Name, candidate.Name, i, experiment.Candidates.Count, trial.Status));
            }
            result.Best = result.Trials
                .Where(t => t.Status == TrialStatus.Succeeded && t.Metrics.Validation.ContainsKey(result.PrimaryMetric))
                .OrderBy(Loss)
                .FirstOrDefault()?.Candidate;
            if (best is { } kept && spec.ModelPath is { } path)
            {
                // A model that cannot be written does not undo the comparison: the results still say what was found.
                try
                {
                    var source = new BundleSource(spec.Label, kept.Candidate.Name, kept.Candidate.Family, kept.Candidate.Hyperparameters,
                        kept.Trial.Metrics.Validation, kept.Trial.Metrics.Test, experiment.DatasetInfo.Sha256);
                    await ModelBundle.SaveAsync(path, kept.Model, experiment.Featurizer, source, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    kept.Trial.Reason = "the model was not saved: " + Describe(e);
                }
            }
        }
        finally
        {
            best?.Model.Dispose();
        }
        return result;
    }

    private static async Task<(TrialResult Trial, ITrainedModel? Model)> RunTrialAsync(PreparedExperiment experiment, ICandidate candidate,
        TrainContext context, CancellationToken cancellationToken)
    {
        var trial = new TrialResult
        {
            Candidate = candidate.Name,
            Family = candidate.Family.ToName(),
            Hyperparameters = new Dictionary<string, object?>(candidate.Hyperparameters),
        };
        var clock = Stopwatch.StartNew();
        ITrainedModel? model = null;
        try
        {
            // ML.NET trainers ignore the early-stopping rows and fit on every training row.
            var fitOn = candidate.Family == ModelFamily.Torch ? experiment.TrainWithoutStopping : experiment.Train;
            model = await candidate.FitAsync(fitOn, experiment.Stopping, context, cancellationToken).ConfigureAwait(false);
            trial.TrainSeconds = clock.Elapsed.TotalSeconds;
            // Validation scoring doubles as the warm-up before the latency measurement on the test rows.
            trial.Metrics.Validation = TaskMetrics.Compute(context.Task, experiment.Validation.Labels, model.Predict(experiment.Validation), context.Classes);
            clock.Restart();
            var predicted = model.Predict(experiment.Test);
            trial.PredictMicrosecondsPerRow = clock.Elapsed.TotalMicroseconds / experiment.Test.Rows;
            trial.Metrics.Test = TaskMetrics.Compute(context.Task, experiment.Test.Labels, predicted, context.Classes);
            trial.TestPredictions = predicted.Values.Select(v => (double)v).ToList();
            if (context.Task == TaskKind.BinaryClassification)
                trial.TestScores = predicted.Probabilities!.Select(p => (double)p[1]).ToList();
            trial.Curves = model.Curves.ToList();
            (trial.ModelBytes, trial.PretrainedBytes) = ModelSize.Of(model);
            return (trial, model);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            model?.Dispose();
            trial.Status = TrialStatus.Failed;
            trial.Reason = Describe(e);
            trial.TrainSeconds = clock.Elapsed.TotalSeconds;
            return (trial, null);
        }
        catch
        {
            model?.Dispose();
            throw;
        }
    }

    /// <summary>One line naming the exception and its innermost cause, cut to a readable length.</summary>
    internal static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
        var text = inner == e ? $"{e.GetType().Name}: {FirstLine(e.Message)}"
            : $"{e.GetType().Name}: {FirstLine(e.Message)} ({inner.GetType().Name}: {FirstLine(inner.Message)})";
        return text.Length <= 400 ? text : text[..399] + "…";
    }
}
