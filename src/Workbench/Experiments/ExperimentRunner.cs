using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Experiments;

/// <summary>
/// Trains every candidate of a <see cref="PreparedExperiment"/> on the same training rows, scores it on the
/// validation rows (for selection) and the test rows (for the report), and records time and latency.
/// A candidate that throws is recorded as failed with its reason; the others go on. The loop is the one every task
/// shares (<see cref="CandidateComparison{TModel}"/>); this states what tabular rows add: the featurizer, the early-stopping rows.
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
            Baseline = Baselines.From(spec.Task, experiment.Train.Labels, experiment.Featurizer.ClassNames?.Count ?? 0),
        };
        var context = new TrainContext(spec.Task, experiment.Featurizer.ClassNames?.Count ?? 0, spec.Seed, spec.Device, spec.Precision);
        var comparison = new CandidateComparison<ITrainedModel>
        {
            Task = spec.Task,
            Classes = context.Classes,
            Validation = (experiment.Validation.Labels, model => model.Predict(experiment.Validation)),
            Test = (experiment.Test.Labels, model => model.Predict(experiment.Test)),
            Curves = model => model.Curves,
            RecordTest = (trial, predicted) =>
            {
                trial.TestPredictions = predicted.Values.Select(v => (double)v).ToList();
                if (spec.Task == TaskKind.BinaryClassification)
                    trial.TestScores = predicted.Probabilities!.Select(p => (double)p[1]).ToList();
            },
            SaveAsync = spec.ModelPath is not { } path ? null : (model, trial, entrant) => ModelBundle.SaveAsync(path, model, experiment.Featurizer,
                new BundleSource(spec.Label, entrant.Name, entrant.Family, entrant.Hyperparameters, trial.Metrics.Validation, trial.Metrics.Test,
                    experiment.DatasetInfo.Sha256), CancellationToken.None),
        };
        var entrants = experiment.Candidates.Select(candidate => new CandidateComparison<ITrainedModel>.Entrant(
            candidate.Name, candidate.Family, candidate.Hyperparameters, SkipReason: null,
            // ML.NET trainers ignore the early-stopping rows and fit on every training row.
            token => candidate.FitAsync(candidate.Family == ModelFamily.Torch ? experiment.TrainWithoutStopping : experiment.Train,
                experiment.Stopping, context, token),
            TrainerCatalog.Find(candidate.Name)?.CreateDefault(spec.Task).Hyperparameters)).ToArray();
        await comparison.RunAsync(result, entrants, progress, cancellationToken).ConfigureAwait(false);
        return result;
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
