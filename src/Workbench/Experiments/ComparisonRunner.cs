using System.Diagnostics;
using MLWorkbench.Bundles;
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
    /// Where to save the selected model as a <c>.mlwb</c> bundle (<see cref="WorkbenchModel.Load"/> reads it), or null
    /// to save nothing. The best model so far (by the validation primary metric, as <see cref="ExperimentResult.Best"/>
    /// is chosen) is kept in memory while the others are disposed, and written once at the end, even when the run was
    /// interrupted. A model that cannot be written does not fail the run: the selected trial's reason says why.
    /// </summary>
    public string? ModelPath { get; init; }

    /// <summary>Number format TorchSharp candidates train in (auto: mixed precision on CUDA, fp32 on the CPU).</summary>
    public Models.Torch.TrainingPrecision Precision { get; init; }

    /// <summary>
    /// Runs every candidate. <paramref name="result"/> comes with the experiment's identity (name, task, metric,
    /// dataset, split) filled in; this adds the trials, the test labels and the selected candidate (saved to
    /// <see cref="ModelPath"/> when set).
    /// </summary>
    public async Task<ExperimentResult> RunAsync(ExperimentResult result, TaskKind task, TData train, TData validation, TData test,
        IReadOnlyList<IExampleCandidate<TData>> candidates, int seed, Models.Torch.ComputeDevice device,
        IProgress<TrialProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var classes = train.ClassNames?.Count ?? 0;
        var context = new TrainContext(task, classes, seed, device, Precision);
        result.PrimaryMetric = TaskMetrics.Primary(task);
        result.HigherIsBetter = TaskMetrics.HigherIsBetter(task);
        result.ClassNames = train.ClassNames?.ToList();
        result.TestLabels = test.Labels.Select(v => (double)v).ToList();
        // The best model so far, kept for saving; the key is the one Best is ordered by (lower is better, first wins ties).
        (IExampleModel<TData> Model, TrialResult Trial, ModelFamily Family, double Key)? best = null;
        try
        {
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
                    IExampleModel<TData>? model = null;
                    try
                    {
                        model = await candidate.FitAsync(train, validation, context, cancellationToken).ConfigureAwait(false);
                        trial.TrainSeconds = clock.Elapsed.TotalSeconds;
                        trial.Metrics.Validation = TaskMetrics.Compute(task, validation.Labels, model.Predict(validation), classes);
                        clock.Restart();
                        var predicted = model.Predict(test);
                        trial.PredictMicrosecondsPerRow = clock.Elapsed.TotalMicroseconds / test.Rows;
                        trial.Metrics.Test = TaskMetrics.Compute(task, test.Labels, predicted, classes);
                        trial.RecordTest(task, predicted);
                        trial.Curves = model.Curves.ToList();
                        (trial.ModelBytes, trial.PretrainedBytes) = ModelSize.Of(model);
                        if (ModelPath is not null && trial.Metrics.Validation.TryGetValue(result.PrimaryMetric, out var metric))
                        {
                            var key = metric * (result.HigherIsBetter ? -1 : 1);
                            if (best is null || key.CompareTo(best.Value.Key) < 0)
                            {
                                best?.Model.Dispose();
                                best = (model, trial, candidate.Family, key);
                                model = null;
                            }
                        }
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
                    finally
                    {
                        model?.Dispose();
                    }
                }
                result.Trials.Add(trial);
                progress?.Report(new TrialProgress(result.Name, candidate.Name, i, candidates.Count, trial.Status));
            }
            result.Best = result.Trials
                .Where(t => t.Status == TrialStatus.Succeeded && t.Metrics.Validation.ContainsKey(result.PrimaryMetric))
                .OrderBy(t => t.Metrics.Validation[result.PrimaryMetric] * (result.HigherIsBetter ? -1 : 1))
                .FirstOrDefault()?.Candidate;
            if (best is { } kept && ModelPath is not null) await SaveAsync(ModelPath, kept.Model, kept.Trial, kept.Family, result, task, train).ConfigureAwait(false);
        }
        finally
        {
            best?.Model.Dispose();
        }
        return result;
    }

    private static async Task SaveAsync(string path, IExampleModel<TData> model, TrialResult trial, ModelFamily family, ExperimentResult result, TaskKind task, TData train)
    {
        // A model that cannot be written does not undo the comparison: the results still say what was found.
        try
        {
            var source = new BundleSource(result.Dataset.Label, trial.Candidate, family,
                trial.Hyperparameters, trial.Metrics.Validation, trial.Metrics.Test, result.Dataset.Sha256);
            await ModelBundle.SaveAsync(path, model, task, train.ClassNames, source, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            trial.Reason = "the model was not saved: " + ExperimentRunner.Describe(e);
        }
    }
}
