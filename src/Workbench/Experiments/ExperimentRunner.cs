using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.AutoML;
using MLWorkbench.Search;

namespace MLWorkbench.Experiments;

/// <summary>
/// Trains every candidate of a <see cref="PreparedExperiment"/> on the same training rows, scores it on the
/// validation rows (for selection) and the test rows (for the report), and records time and latency.
/// A candidate that throws is recorded as failed with its reason; the others go on. The path is the one every task
/// family shares (<see cref="ComparisonRunner{TData}"/> over a <see cref="FeatureMatrix"/>); this states what tabular rows
/// add: the experiment's identity, the featurizer saved in the bundle, the early-stopping rows.
/// </summary>
internal sealed class ExperimentRunner
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
            Dataset = experiment.DatasetInfo,
            Split = new SplitInfo
            {
                Kind = "holdout", Seed = experiment.Split.Seed, TrainRows = experiment.Split.Train.Length,
                ValidationRows = experiment.Split.Validation.Length, TestRows = experiment.Split.Test.Length,
            },
        };
        var runner = new ComparisonRunner<FeatureMatrix>
        {
            ModelPath = spec.ModelPath,
            Precision = spec.Precision,
            // ML.NET trainers ignore the early-stopping rows and fit on every training row.
            FitData = candidate => (candidate.Family == ModelFamily.Torch ? experiment.TrainWithoutStopping : experiment.Train, experiment.Stopping),
            SaveBundle = (path, model, source) => ModelBundle.SaveAsync(path, model, experiment.Featurizer, source, CancellationToken.None),
            DefaultCandidate = name => TrainerCatalog.Find(name) is { } trainer && trainer.Tasks.Contains(spec.Task) ? trainer.CreateDefault(spec.Task) : null,
        };
        await runner.RunAsync(result, spec.Task, experiment.Train, experiment.Validation, experiment.Test, experiment.Candidates, spec.Seed, spec.Device,
            progress, cancellationToken).ConfigureAwait(false);
        return result;
    }
}
