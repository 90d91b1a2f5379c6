using System.Diagnostics;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.AutoML;

namespace MLWorkbench.Experiments;

/// <summary>
/// The one comparison loop behind <see cref="ExperimentRunner"/> (tabular rows) and <see cref="ComparisonRunner{TData}"/>
/// (images, texts, pairs): each candidate is trained, scored on the validation data (selection) and the test data (the
/// report's figures), timed and recorded; one that throws is <c>failed</c> with its reason, one that cannot run here is
/// <c>skipped</c>. The best model so far stays loaded while the others are disposed, so the selected one is saved without
/// training it again, even when the run is interrupted.
/// </summary>
/// <typeparam name="TModel">The trained model (an <see cref="ITrainedModel{TData}"/>).</typeparam>
internal sealed class CandidateComparison<TModel> where TModel : class, IDisposable
{
    /// <summary>One candidate as the loop sees it: what results record, how it trains, and its settings when nothing is
    /// set (null: unknown), so that the report can tell which settings the suite changed.</summary>
    internal sealed record Entrant(string Name, ModelFamily Family, IReadOnlyDictionary<string, object?> Hyperparameters, string? SkipReason,
        Func<CancellationToken, Task<TModel>> FitAsync, IReadOnlyDictionary<string, object?>? Defaults = null);

    /// <summary>The task and its classes (0 when not classification).</summary>
    public required TaskKind Task { get; init; }

    /// <summary>Number of classes (0 when not classification).</summary>
    public required int Classes { get; init; }

    /// <summary>The validation labels and how a model predicts the validation data.</summary>
    public required (float[] Labels, Func<TModel, Predictions> Predict) Validation { get; init; }

    /// <summary>The test labels and how a model predicts the test data.</summary>
    public required (float[] Labels, Func<TModel, Predictions> Predict) Test { get; init; }

    /// <summary>The model's learning curves.</summary>
    public required Func<TModel, IReadOnlyList<Curve>> Curves { get; init; }

    /// <summary>Records the test predictions in the trial (the tabular and example results carry different fields).</summary>
    public required Action<TrialResult, Predictions> RecordTest { get; init; }

    /// <summary>Saves the selected model, or null to keep none; a throw is recorded as the selected trial's reason.</summary>
    public Func<TModel, TrialResult, Entrant, Task>? SaveAsync { get; init; }

    /// <summary>Runs every entrant into <paramref name="result"/> (its name, primary metric and direction set by the caller).</summary>
    public async Task RunAsync(ExperimentResult result, IReadOnlyList<Entrant> entrants, IProgress<TrialProgress>? progress, CancellationToken cancellationToken)
    {
        // The best model so far, kept for saving, by the rule Best is chosen by (SelectionRule: ties go to the faster,
        // then smaller model; among equals the first in run order wins, so a later trial must be strictly preferred).
        (TModel Model, TrialResult Trial, Entrant Entrant)? best = null;
        var rule = Comparer<TrialResult>.Create((a, b) => SelectionRule.Compare(a, b, result.PrimaryMetric, result.HigherIsBetter));
        try
        {
            for (var i = 0; i < entrants.Count && !cancellationToken.IsCancellationRequested; i++)
            {
                var entrant = entrants[i];
                if (entrant.Defaults is { } defaults)
                    (result.CandidateDefaults ??= []).TryAdd(entrant.Name, new Dictionary<string, object?>(defaults));
                progress?.Report(new TrialProgress(result.Name, entrant.Name, i, entrants.Count, null));
                var trial = new TrialResult
                {
                    Candidate = entrant.Name, Family = entrant.Family.ToName(), Hyperparameters = new Dictionary<string, object?>(entrant.Hyperparameters),
                };
                if (entrant.SkipReason is { } reason)
                {
                    trial.Status = TrialStatus.Skipped;
                    trial.Reason = reason;
                }
                else
                {
                    TModel? model;
                    try
                    {
                        model = await RunTrialAsync(entrant, trial, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }
                    if (model is not null && SaveAsync is not null && SelectionRule.IsScored(trial, result.PrimaryMetric)
                        && (best is null || rule.Compare(trial, best.Value.Trial) < 0))
                    {
                        best?.Model.Dispose();
                        best = (model, trial, entrant);
                    }
                    else model?.Dispose();
                }
                result.Trials.Add(trial);
                progress?.Report(new TrialProgress(result.Name, entrant.Name, i, entrants.Count, trial.Status));
            }
            result.Best = result.Trials
                .Where(t => SelectionRule.IsScored(t, result.PrimaryMetric))
                .Order(rule)
                .FirstOrDefault()?.Candidate;
            if (best is { } kept)
            {
                // A model that cannot be written does not undo the comparison: the results still say what was found.
                try
                {
                    await SaveAsync!(kept.Model, kept.Trial, kept.Entrant).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    kept.Trial.Reason = "the model was not saved: " + MessageText.Failure(e);
                }
            }
        }
        finally
        {
            best?.Model.Dispose();
        }
    }

    /// <summary>Trains and scores one entrant into <paramref name="trial"/>; the model, or null when it failed (the trial says why).</summary>
    private async Task<TModel?> RunTrialAsync(Entrant entrant, TrialResult trial, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        TModel? model = null;
        try
        {
            model = await entrant.FitAsync(cancellationToken).ConfigureAwait(false);
            trial.TrainSeconds = clock.Elapsed.TotalSeconds;
            // Validation scoring doubles as the warm-up before the latency measurement on the test data.
            trial.Metrics.Validation = TaskMetrics.Compute(Task, Validation.Labels, Validation.Predict(model), Classes);
            clock.Restart();
            var predicted = Test.Predict(model);
            trial.PredictMicrosecondsPerRow = clock.Elapsed.TotalMicroseconds / Test.Labels.Length;
            trial.Metrics.Test = TaskMetrics.Compute(Task, Test.Labels, predicted, Classes);
            RecordTest(trial, predicted);
            trial.Curves = Curves(model).ToList();
            (trial.ModelBytes, trial.PretrainedBytes) = ModelSize.Of(model);
            return model;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            model?.Dispose();
            throw;
        }
        catch (Exception e)
        {
            model?.Dispose();
            trial.Status = TrialStatus.Failed;
            trial.Reason = MessageText.Failure(e);
            trial.TrainSeconds = clock.Elapsed.TotalSeconds;
            return null;
        }
    }
}
