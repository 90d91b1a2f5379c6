using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.AutoML;
using MLWorkbench.Serving;

namespace MLWorkbench.Experiments;

/// <summary>
/// Compares candidates of any task family on one split: each is trained on the training data, scored on the validation
/// data (selection) and the test data (the report's figures), timed, and recorded; one that throws is <c>failed</c> with
/// its reason, one that cannot run here is <c>skipped</c>. Tabular rows (<see cref="FeatureMatrix"/>), images, texts
/// and sentence pairs all run through this one path (<see cref="CandidateComparison{TModel}"/> is its loop).
/// </summary>
/// <typeparam name="TData">The labelled data the candidates train on.</typeparam>
internal sealed class ComparisonRunner<TData> where TData : ILabelledData
{
    /// <summary>
    /// Where to save the selected model as a <c>.mlwb</c> bundle (<see cref="WorkbenchModel.Load"/> reads it), or null
    /// to save nothing. The best model so far (by the validation primary metric, as <see cref="ExperimentResult.Best"/>
    /// is chosen) is kept in memory while the others are disposed, and written once at the end, even when the run was
    /// interrupted. A model that cannot be written does not fail the run: the selected trial's reason says why.
    /// </summary>
    public string? ModelPath { get; init; }

    /// <summary>Number format TorchSharp candidates train in (auto: mixed precision on CUDA, fp32 on the CPU).</summary>
    public Tasks.TrainingPrecision Precision { get; init; }

    /// <summary>
    /// What a candidate fits on, as (training data, early-stopping data); by default the training and validation data.
    /// Tabular experiments hold early-stopping rows apart from the validation rows that rank the models.
    /// </summary>
    internal Func<ICandidate<TData>, (TData Train, TData Stopping)>? FitData { get; init; }

    /// <summary>
    /// Writes the selected model to <see cref="ModelPath"/>; by default a bundle whose inputs are the task's (images,
    /// texts, pairs). Tabular experiments save the featurizer the model was trained behind.
    /// </summary>
    internal Func<string, ITrainedModel<TData>, BundleSource, Task>? SaveBundle { get; init; }

    /// <summary>
    /// Makes the candidate called by a name with its default settings (e.g. <c>ImageCandidates.Create</c>), so that results
    /// record each candidate's defaults beside the settings it ran with; null, or a name it does not know (null or a
    /// <see cref="WorkbenchInputException"/>), records none.
    /// </summary>
    public Func<string, ICandidate<TData>?>? DefaultCandidate { get; init; }

    /// <summary>
    /// Runs every candidate. <paramref name="result"/> comes with the experiment's identity (name, task, metric,
    /// dataset, split) filled in; this adds the trials, the test labels and the selected candidate (saved to
    /// <see cref="ModelPath"/> when set).
    /// </summary>
    public async Task<ExperimentResult> RunAsync(ExperimentResult result, TaskKind task, TData train, TData validation, TData test,
        IReadOnlyList<ICandidate<TData>> candidates, int seed, Tasks.ComputeDevice device,
        IProgress<TrialProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        var classes = train.ClassNames?.Count ?? 0;
        var context = new TrainContext(task, classes, seed, device, Precision);
        result.PrimaryMetric = TaskMetrics.Primary(task);
        result.HigherIsBetter = TaskMetrics.HigherIsBetter(task);
        result.ClassNames = train.ClassNames?.ToList();
        result.TestLabels = test.Labels.Select(v => (double)v).ToList();
        result.Baseline = Baselines.From(task, train.Labels, classes);
        var save = SaveBundle ?? ((path, model, source) => ModelBundle.SaveAsync(path, model, task, train.ClassNames, source, CancellationToken.None));
        var comparison = new CandidateComparison<ITrainedModel<TData>>
        {
            Task = task,
            Classes = classes,
            Validation = (validation.Labels, model => model.Predict(validation)),
            Test = (test.Labels, model => model.Predict(test)),
            Curves = model => model.Curves,
            RecordTest = (trial, predicted) => trial.RecordTest(task, predicted),
            SaveAsync = ModelPath is not { } path ? null : (model, trial, entrant) => save(path, model,
                new BundleSource(result.Dataset.Label, trial.Candidate, entrant.Family, trial.Hyperparameters, trial.Metrics.Validation, trial.Metrics.Test,
                    result.Dataset.Sha256)),
        };
        var fitData = FitData ?? (_ => (train, validation));
        var entrants = candidates.Select(candidate => new CandidateComparison<ITrainedModel<TData>>.Entrant(
            candidate.Name, candidate.Family, candidate.Hyperparameters, candidate.SkipReason,
            token =>
            {
                var (fitOn, stopping) = fitData(candidate);
                return candidate.FitAsync(fitOn, stopping, context, token);
            }, DefaultsOf(candidate.Name))).ToArray();
        await comparison.RunAsync(result, entrants, progress, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private IReadOnlyDictionary<string, object?>? DefaultsOf(string name)
    {
        try
        {
            return DefaultCandidate?.Invoke(name)?.Hyperparameters;
        }
        catch (WorkbenchInputException)
        {
            // A candidate made outside the family's catalogue (a test's, a user's) has no defaults to compare with.
            return null;
        }
    }
}
