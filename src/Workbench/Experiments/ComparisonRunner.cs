using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Experiments;

/// <summary>
/// Compares candidates over examples of any kind on one split: each is trained on the training examples,
/// scored on the validation examples (selection) and the test examples (the report's figures), timed, and
/// recorded; one that throws is <c>failed</c> with its reason, one that cannot run here is <c>skipped</c>. The loop is
/// the one every task shares (<see cref="CandidateComparison{TModel}"/>).
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
    /// Makes the candidate called by a name with its default settings (e.g. <c>ImageCandidates.Create</c>), so that results
    /// record each candidate's defaults beside the settings it ran with; null, or a name it does not know, records none.
    /// </summary>
    public Func<string, IExampleCandidate<TData>>? DefaultCandidate { get; init; }

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
        result.Baseline = Baselines.From(task, train.Labels, classes);
        var comparison = new CandidateComparison<IExampleModel<TData>>
        {
            Task = task,
            Classes = classes,
            Validation = (validation.Labels, model => model.Predict(validation)),
            Test = (test.Labels, model => model.Predict(test)),
            Curves = model => model.Curves,
            RecordTest = (trial, predicted) => trial.RecordTest(task, predicted),
            SaveAsync = ModelPath is not { } path ? null : (model, trial, entrant) => ModelBundle.SaveAsync(path, model, task, train.ClassNames,
                new BundleSource(result.Dataset.Label, trial.Candidate, entrant.Family, trial.Hyperparameters, trial.Metrics.Validation, trial.Metrics.Test,
                    result.Dataset.Sha256), CancellationToken.None),
        };
        var entrants = candidates.Select(candidate => new CandidateComparison<IExampleModel<TData>>.Entrant(
            candidate.Name, candidate.Family, candidate.Hyperparameters, candidate.SkipReason,
            token => candidate.FitAsync(train, validation, context, token), DefaultsOf(candidate.Name))).ToArray();
        await comparison.RunAsync(result, entrants, progress, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private IReadOnlyDictionary<string, object?>? DefaultsOf(string name)
    {
        try
        {
            return DefaultCandidate?.Invoke(name).Hyperparameters;
        }
        catch (WorkbenchInputException)
        {
            // A candidate made outside the family's catalogue (a test's, a user's) has no defaults to compare with.
            return null;
        }
    }
}
