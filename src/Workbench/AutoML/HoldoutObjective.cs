using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.AutoML;

/// <summary>
/// The objective of an AutoML search over examples (images, texts, sentence pairs): each trial trains on the training
/// examples and is scored on the validation examples (one step: deep models make k-fold cross-validation too dear, so
/// the search uses one holdout split, as Optuna studies of networks usually do), and the best trial's model is scored
/// once on the test examples. Networks stop early on a seeded tenth of the training examples, never on the validation
/// examples that rank them. The search starts from every trainer's cheap starting point, cheapest first, so that a
/// short budget still compares every family; the sampler takes over from there. A configuration that was tried before
/// is recorded as pruned without training it again. The best model trained in this process is kept, so the winner is
/// not trained twice.
/// </summary>
/// <typeparam name="TData">The kind of examples.</typeparam>
public sealed class HoldoutObjective<TData> : ISearchObjective where TData : ILabelledData
{
    private readonly string _name;
    private readonly TaskKind _task;
    private readonly TData _train;
    private readonly TData _fitOn;
    private readonly TData _stopping;
    private readonly TData _validation;
    private readonly TData? _test;
    private readonly IReadOnlyList<TrainerDefinition<TData>> _trainers;
    private readonly AutoMLOptions _options;
    private readonly ExperimentResult _identity;
    private readonly TrainContext _context;
    private readonly Lock _gate = new();
    private (ITrainedModel<TData> Model, int Number, (double, double) Rank)? _best;

    private HoldoutObjective(string name, TaskKind task, TData train, TData fitOn, TData stopping, TData validation, TData? test,
        IReadOnlyList<TrainerDefinition<TData>> trainers, AutoMLOptions options, ExperimentResult identity)
    {
        (_name, _task, _train, _fitOn, _stopping, _validation, _test, _trainers, _options, _identity) =
            (name, task, train, fitOn, stopping, validation, test, trainers, options, identity);
        Space = new JointSearchSpace(trainers.Select(t => t.Space(task)).ToArray());
        StartingPoints = trainers.OrderBy(t => t.Space(task).RelativeCost).Select(t => new TrialConfig(t.Name, t.Space(task).Initial)).ToArray();
        _context = new TrainContext(task, train.ClassNames?.Count ?? 0, options.Seed, options.Device, options.Precision);
    }

    /// <summary>
    /// Checks the options and makes the objective. <paramref name="identity"/> names the experiment and carries its dataset
    /// and split; <paramref name="subset"/> takes examples by index (used to set the early-stopping tenth aside).
    /// <paramref name="options"/>' seed, device, precision and model path apply.
    /// </summary>
    /// <exception cref="WorkbenchInputException">There are no trainers or too few training examples.</exception>
    public static HoldoutObjective<TData> Prepare(ExperimentResult identity, TaskKind task, TData train, TData validation, TData? test,
        IReadOnlyList<TrainerDefinition<TData>> trainers, Func<TData, IReadOnlyList<int>, TData> subset, AutoMLOptions options)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(subset);
        ArgumentNullException.ThrowIfNull(options);
        if (trainers.Count == 0) throw new WorkbenchInputException($"No trainer to search for {task.ToName()}.");
        if (train.Rows < 10) throw new WorkbenchInputException($"{train.Rows} training examples are too few for a search; at least 10 are needed.");

        // A seeded tenth of the training examples for early stopping; the rest trains the networks.
        var order = Enumerable.Range(0, train.Rows).ToArray();
        new Random(options.Seed).Shuffle(order);
        var cut = Math.Max(1, order.Length / 10);
        var stopping = subset(train, order[..cut].Order().ToArray());
        var fitOn = subset(train, order[cut..].Order().ToArray());
        return new HoldoutObjective<TData>(identity.Name, task, train, fitOn, stopping, validation, test, trainers, options, identity);
    }

    /// <inheritdoc/>
    public string Name => _name;

    /// <inheritdoc/>
    public JointSearchSpace Space { get; }

    /// <inheritdoc/>
    public IReadOnlyList<TrialConfig> StartingPoints { get; }

    /// <inheritdoc/>
    public int Folds => 1;

    /// <inheritdoc/>
    public string Fingerprint =>
        $"data={_identity.Dataset.Sha256}; task={_task.ToName()}; metric={TaskMetrics.Primary(_task)}; training seed={_options.Seed}; " +
        $"trainers={string.Join(',', _trainers.Select(t => t.Name))}; device={_options.Device}; precision={_options.Precision}; " +
        $"train={_train.Rows}; validation={_validation.Rows}; " +
        $"labels={Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(',', _train.Labels.Take(64)))))}";

    /// <inheritdoc/>
    public double Loss(IReadOnlyDictionary<string, double> metrics) => TaskMetrics.Loss(_task, metrics);

    /// <inheritdoc/>
    public double TieBreak(StoredTrial trial) => Rank(trial.FoldMetrics.Count > 0 ? trial.FoldMetrics[0] : null).TieBreak;

    /// <inheritdoc/>
    public async Task<TrialEvaluation> EvaluateAsync(Trial trial, CancellationToken cancellationToken)
    {
        if (trial.Finished.FirstOrDefault(t => t.Config.Key == trial.Config.Key) is { } same)
        {
            // The sampler found nothing new: record it without training the same model again.
            foreach (var metrics in same.FoldMetrics) await trial.ReportAsync(metrics, cancellationToken).ConfigureAwait(false);
            return new TrialEvaluation(TrialState.Pruned, $"same configuration as trial {same.Number}");
        }
        var candidate = _trainers.First(t => t.Name == trial.Config.Trainer).Create(_task, trial.Config.Parameters);
        if (candidate.SkipReason is { } skip) return new TrialEvaluation(TrialState.Failed, "skipped: " + skip);
        var model = await Fit(candidate, cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var metrics = TaskMetrics.Compute(_task, _validation.Labels, model.Predict(_validation), _context.Classes);
            await trial.ReportAsync(metrics, cancellationToken).ConfigureAwait(false);
            var rank = Rank(metrics);
            lock (_gate)
            {
                if (_best is null || rank.CompareTo(_best.Value.Rank) < 0)
                {
                    _best?.Model.Dispose();
                    _best = (model, trial.Number, rank);
                    model = null;
                }
            }
            return TrialEvaluation.Complete;
        }
        finally
        {
            model?.Dispose();
        }
    }

    // Trials are ranked by the primary metric, then, for classifiers, by validation cross-entropy: on a small validation
    // set many strong models reach the same accuracy (15 of 49 CNN trials scored 1.0 on 179 digits), and the one that is
    // also more confident where it is right generalises better than the earliest of them.
    private (double Score, double TieBreak) Rank(IReadOnlyDictionary<string, double>? metrics) =>
        (metrics is null ? double.PositiveInfinity : Loss(metrics), metrics is not null && metrics.TryGetValue(ClassificationMetrics.LogLoss, out var logLoss) ? logLoss : 0);

    /// <inheritdoc/>
    public ExperimentResult NewResult() => new()
    {
        Name = _name,
        Task = _task.ToName(),
        PrimaryMetric = TaskMetrics.Primary(_task),
        HigherIsBetter = TaskMetrics.HigherIsBetter(_task),
        Dataset = _identity.Dataset,
        Split = _identity.Split,
        ClassNames = _train.ClassNames?.ToList(),
        // What each searched trainer runs with when the search sets nothing: the report marks what a trial changed.
        CandidateDefaults = _trainers.ToDictionary(t => t.Name, t => new Dictionary<string, object?>(t.CreateDefault(_task).Hyperparameters)),
    };

    // Networks train on nine tenths and stop early on the rest; ML.NET pipelines do not stop early and use every training example.
    private Task<ITrainedModel<TData>> Fit(ICandidate<TData> candidate, CancellationToken cancellationToken) =>
        candidate.Family == ModelFamily.Torch
            ? candidate.FitAsync(_fitOn, _stopping, _context, cancellationToken)
            : candidate.FitAsync(_train, _stopping, _context, cancellationToken);

    /// <inheritdoc/>
    public TrialResult Describe(StoredTrial t, double finishedAt)
    {
        var definition = _trainers.FirstOrDefault(k => k.Name == t.Config.Trainer);
        var result = new TrialResult
        {
            Candidate = t.Config.Trainer,
            Family = definition?.Family.ToName() ?? "",
            Hyperparameters = definition is null ? [] : new Dictionary<string, object?>(definition.Create(_task, t.Config.Parameters).Hyperparameters),
            Status = t.Reason?.StartsWith("skipped: ", StringComparison.Ordinal) == true ? TrialStatus.Skipped : Study.StatusOf(t.State),
            Reason = t.Reason?.StartsWith("skipped: ", StringComparison.Ordinal) == true ? t.Reason["skipped: ".Length..] : t.Reason,
            TrainSeconds = t.Seconds,
            Number = t.Number,
            FinishedAtSeconds = finishedAt,
        };
        if (t.FoldMetrics.Count > 0) result.Metrics.Validation = new Dictionary<string, double>(t.FoldMetrics[0]);
        return result;
    }

    /// <inheritdoc/>
    public async Task<TrialResult?> FinishAsync(StoredTrial? winner, ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        // A winner from a resumed run was trained by an earlier process: train it again (same seed, same data).
        var model = _best is { } b && b.Number == winner?.Number ? b.Model : null;
        if (model is null) _best?.Model.Dispose();
        _best = null;
        if (winner is null) return null;
        var definition = _trainers.First(t => t.Name == winner.Config.Trainer);
        var candidate = definition.Create(_task, winner.Config.Parameters);
        var final = new TrialResult
        {
            Candidate = candidate.Name, Family = candidate.Family.ToName(), Number = winner.Number,
            Hyperparameters = new Dictionary<string, object?>(candidate.Hyperparameters),
            Metrics = { Validation = new Dictionary<string, double>(result.Trials.First(t => t.Number == winner.Number).Metrics.Validation) },
            TrainSeconds = result.Trials.First(t => t.Number == winner.Number).TrainSeconds,
        };
        try
        {
            if (model is null)
            {
                var clock = Stopwatch.StartNew();
                model = await Fit(candidate, CancellationToken.None).ConfigureAwait(false);
                final.TrainSeconds = clock.Elapsed.TotalSeconds;
            }
            final.Curves = model.Curves.ToList();
            (final.ModelBytes, final.PretrainedBytes) = ModelSize.Of(model);
            if (_test is not null)
            {
                var watch = Stopwatch.StartNew();
                var predicted = model.Predict(_test);
                final.PredictMicrosecondsPerRow = watch.Elapsed.TotalMicroseconds / _test.Rows;
                final.Metrics.Test = TaskMetrics.Compute(_task, _test.Labels, predicted, _context.Classes);
                final.RecordTest(_task, predicted);
                result.TestLabels = _test.Labels.Select(v => (double)v).ToList();
                result.Baseline = Baselines.From(_task, _train.Labels, _context.Classes);
            }
            if (_options.ModelPath is { } modelPath)
            {
                // A model that cannot be written does not undo the search: the results still say what was found.
                try
                {
                    var source = new BundleSource(_identity.Dataset.Label, candidate.Name, candidate.Family, candidate.Hyperparameters,
                        final.Metrics.Validation, _test is null ? null : final.Metrics.Test, _identity.Dataset.Sha256);
                    await ModelBundle.SaveAsync(modelPath, model, _task, _train.ClassNames, source, CancellationToken.None).ConfigureAwait(false);
                    result.AutoML!.ModelPath = Path.GetFullPath(modelPath);
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    final.Reason = "the final model was not saved: " + ExperimentRunner.Describe(e);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            final.Status = TrialStatus.Failed;
            final.Reason = "the winner could not be trained again or scored: " + ExperimentRunner.Describe(e);
        }
        finally
        {
            model?.Dispose();
        }
        return final;
    }
}
