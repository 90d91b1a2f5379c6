using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.AutoML;

/// <summary>
/// An AutoML search over examples (images, texts, sentence pairs): the sampler proposes a trainer and its
/// hyperparameters, each trial trains on the training examples and is scored on the validation examples, every
/// finished trial goes to the study store at once (a killed run resumes), and the best trial's model is scored once on
/// the test examples. Deep models make k-fold cross-validation too dear here, so the search uses one holdout split, as
/// Optuna studies of networks usually do. Networks stop early on a seeded tenth of the training examples, never on the
/// validation examples that rank them. The search starts from every trainer's cheap starting point, cheapest first, so
/// that a short budget still compares every family; the sampler takes over from there.
/// </summary>
/// <typeparam name="TData">The kind of examples.</typeparam>
public sealed class ExampleStudy<TData> where TData : ILabelledData
{
    private readonly string _name;
    private readonly TaskKind _task;
    private readonly TData _train;
    private readonly TData _fitOn;
    private readonly TData _stopping;
    private readonly TData _validation;
    private readonly TData? _test;
    private readonly IReadOnlyList<ExampleTrainer<TData>> _trainers;
    private readonly AutoMLOptions _options;
    private readonly ExperimentResult _identity;
    private readonly JointSearchSpace _space;
    private readonly ISampler _sampler;
    private readonly TrainContext _context;

    private ExampleStudy(string name, TaskKind task, TData train, TData fitOn, TData stopping, TData validation, TData? test,
        IReadOnlyList<ExampleTrainer<TData>> trainers, AutoMLOptions options, ExperimentResult identity, ISampler sampler)
    {
        (_name, _task, _train, _fitOn, _stopping, _validation, _test, _trainers, _options, _identity, _sampler) =
            (name, task, train, fitOn, stopping, validation, test, trainers, options, identity, sampler);
        _space = new JointSearchSpace(trainers.Select(t => t.Space).ToArray());
        _context = new TrainContext(task, train.ClassNames?.Count ?? 0, options.Seed, options.Device, options.Precision);
    }

    /// <summary>
    /// Checks the options and makes the study. <paramref name="identity"/> names the experiment and carries its dataset
    /// and split; <paramref name="subset"/> takes examples by index (used to set the early-stopping tenth aside).
    /// </summary>
    /// <exception cref="WorkbenchInputException">The options are wrong or there are too few training examples.</exception>
    public static ExampleStudy<TData> Prepare(ExperimentResult identity, TaskKind task, TData train, TData validation, TData? test,
        IReadOnlyList<ExampleTrainer<TData>> trainers, Func<TData, IReadOnlyList<int>, TData> subset, AutoMLOptions options)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(subset);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BudgetSeconds is <= 0) throw new WorkbenchInputException($"The budget must be a positive number of seconds, not {options.BudgetSeconds}.");
        if (options.MaxTrials is < 1) throw new WorkbenchInputException($"The number of trials must be at least 1, not {options.MaxTrials}.");
        if (options.BudgetSeconds is null && options.MaxTrials is null) throw new WorkbenchInputException("Give a time budget, a number of trials, or both.");
        if (options.Parallel != 1)
            throw new WorkbenchInputException($"--parallel {options.Parallel} is not supported for {task.ToName()}: its networks use every core, so trials run one at a time.");
        if (trainers.Count == 0) throw new WorkbenchInputException($"No trainer to search for {task.ToName()}.");
        if (train.Rows < 10) throw new WorkbenchInputException($"{train.Rows} training examples are too few for a search; at least 10 are needed.");
        var sampler = Samplers.Create(options.Tuner);

        // A seeded tenth of the training examples for early stopping; the rest trains the networks.
        var order = Enumerable.Range(0, train.Rows).ToArray();
        new Random(options.Seed).Shuffle(order);
        var cut = Math.Max(1, order.Length / 10);
        var stopping = subset(train, order[..cut].Order().ToArray());
        var fitOn = subset(train, order[cut..].Order().ToArray());
        return new ExampleStudy<TData>(identity.Name, task, train, fitOn, stopping, validation, test, trainers, options, identity, sampler);
    }

    /// <summary>The study's name (the experiment's).</summary>
    public string Name => _name;

    /// <summary>At most this many trials (null: until the budget is spent).</summary>
    public int? MaxTrials => _options.MaxTrials;

    private string Fingerprint()
    {
        var text = new StringBuilder()
            .Append(_identity.Dataset.Sha256).Append('|').Append(_task.ToName()).Append('|').Append(_options.Seed).Append('|')
            .Append(_sampler.Name).Append('|').Append(string.Join(',', _trainers.Select(t => t.Name))).Append('|')
            .Append(_train.Rows).Append('|').Append(_validation.Rows).Append('|').Append(string.Join(',', _train.Labels.Take(64)));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Runs the search and scores the best model once on the test examples.</summary>
    public async Task<ExperimentResult> RunAsync(IProgress<TrialProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var (store, stored) = await SqliteStudyStore.ResumeAsync(_options.StudyPath, _options.StudyName, Fingerprint, cancellationToken).ConfigureAwait(false);
        using var closing = store;
        var result = NewResult();
        var history = new List<TrialOutcome>();
        var tried = new Dictionary<string, StoredTrial>(StringComparer.Ordinal);
        var ranks = new Dictionary<int, (double Score, double TieBreak)>();
        var starts = _trainers.OrderBy(t => t.Space.RelativeCost).Select(t => new TrialConfig(t.Name, t.Space.Initial)).ToList();
        (IExampleModel<TData> Model, int Number)? best = null;
        var clock = Stopwatch.StartNew();
        double resumedSeconds = 0;
        var resumed = 0;
        string stopReason;
        try
        {
            for (var number = 0; ; number++)
            {
                if (cancellationToken.IsCancellationRequested) { stopReason = "interrupted"; break; }
                if (_options.MaxTrials is { } max && number >= max) { stopReason = "trials"; break; }
                StoredTrial trial;
                if (stored.TryGetValue(number, out var old))
                {
                    trial = old;
                    resumedSeconds += old.Seconds;
                    resumed++;
                }
                else
                {
                    if (_options.BudgetSeconds is { } budget && clock.Elapsed.TotalSeconds >= budget) { stopReason = "budget"; break; }
                    // One random source per trial number, the same in every process, so a resumed study proposes what
                    // the uninterrupted one would have.
                    var config = number < starts.Count
                        ? starts[number]
                        : _sampler.Propose(_space, history, new Random(unchecked(_options.Seed * 1_000_003 + number) & int.MaxValue));
                    progress?.Report(new TrialProgress(_name, config.Trainer, number, _options.MaxTrials ?? 0, null));
                    if (tried.TryGetValue(config.Key, out var same))
                    {
                        // The sampler found nothing new: record it without training the same model again.
                        trial = same with { Number = number, State = TrialState.Pruned, Seconds = 0, Reason = $"same configuration as trial {same.Number}", FinishedUtc = DateTimeOffset.UtcNow };
                    }
                    else
                    {
                        IExampleModel<TData>? model;
                        (trial, model) = await RunTrialAsync(number, config, cancellationToken).ConfigureAwait(false);
                        if (model is not null)
                        {
                            if (best is null || Rank(trial).CompareTo(ranks[best.Value.Number]) < 0)
                            {
                                best?.Model.Dispose();
                                best = (model, number);
                            }
                            else model.Dispose();
                        }
                    }
                    if (store is not null) await store.SaveTrialAsync(trial, CancellationToken.None).ConfigureAwait(false);
                    progress?.Report(new TrialProgress(_name, trial.Config.Trainer, number, _options.MaxTrials ?? 0, StatusOf(trial.State)));
                }
                tried.TryAdd(trial.Config.Key, trial);
                if (trial.State == TrialState.Complete && trial.Score is not null) ranks[number] = Rank(trial);
                history.Add(Outcome(trial));
                result.Trials.Add(ToResult(trial, resumedSeconds + clock.Elapsed.TotalSeconds));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stopReason = "interrupted";
        }

        result.AutoML = new AutoMLInfo
        {
            Tuner = _sampler.Name, Pruner = "none", BudgetSeconds = _options.BudgetSeconds, Folds = 1, Parallel = 1,
            StudyPath = _options.StudyPath, ResumedTrials = resumed, StopReason = stopReason,
        };
        var winner = history.Where(h => ranks.ContainsKey(h.Number)).OrderBy(h => ranks[h.Number]).ThenBy(h => h.Number).FirstOrDefault();
        if (winner is not null)
        {
            result.Best = winner.Config.Trainer;
            // A winner from a resumed run was trained by an earlier process: train it again (same seed, same data).
            var model = best is { } b && b.Number == winner.Number ? b.Model : null;
            if (model is null) best?.Model.Dispose();
            result.AutoML.Final = await FinalAsync(winner, model, result).ConfigureAwait(false);
        }
        else best?.Model.Dispose();
        return result;
    }

    // Trials are ranked by the primary metric, then, for classifiers, by validation cross-entropy: on a small validation
    // set many strong models reach the same accuracy (15 of 49 CNN trials scored 1.0 on 179 digits), and the one that is
    // also more confident where it is right generalises better than the earliest of them.
    private static (double Score, double TieBreak) Rank(StoredTrial trial) =>
        (trial.Score ?? double.PositiveInfinity,
            trial.FoldMetrics.Count > 0 && trial.FoldMetrics[0].TryGetValue(ClassificationMetrics.LogLoss, out var logLoss) ? logLoss : 0);

    private ExperimentResult NewResult() => new()
    {
        Name = _name,
        Task = _task.ToName(),
        PrimaryMetric = TaskMetrics.Primary(_task),
        HigherIsBetter = TaskMetrics.HigherIsBetter(_task),
        Dataset = _identity.Dataset,
        Split = _identity.Split,
        ClassNames = _train.ClassNames?.ToList(),
    };

    private async Task<(StoredTrial Trial, IExampleModel<TData>? Model)> RunTrialAsync(int number, TrialConfig config, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var limit = _options.BudgetSeconds is { } budget ? TimeSpan.FromSeconds(Math.Max(1, budget * _options.TrialTimeShare)) : Timeout.InfiniteTimeSpan;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            var candidate = _trainers.First(t => t.Name == config.Trainer).Create(config.Parameters);
            if (candidate.SkipReason is { } skip)
                return (new StoredTrial(number, config, TrialState.Failed, null, [], 0, "skipped: " + skip, DateTimeOffset.UtcNow), null);
            var model = await Fit(candidate, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
            var metrics = TaskMetrics.Compute(_task, _validation.Labels, model.Predict(_validation), _context.Classes);
            return (new StoredTrial(number, config, TrialState.Complete, TaskMetrics.Loss(_task, metrics), [metrics], clock.Elapsed.TotalSeconds, null,
                DateTimeOffset.UtcNow), model);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (new StoredTrial(number, config, TrialState.Failed, null, [], clock.Elapsed.TotalSeconds,
                $"exceeded its share of the budget ({limit.TotalSeconds:0.#} s)", DateTimeOffset.UtcNow), null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (new StoredTrial(number, config, TrialState.Failed, null, [], clock.Elapsed.TotalSeconds, ExperimentRunner.Describe(e), DateTimeOffset.UtcNow), null);
        }
    }

    // Networks train on nine tenths and stop early on the rest; ML.NET pipelines do not stop early and use every training example.
    private Task<IExampleModel<TData>> Fit(IExampleCandidate<TData> candidate, CancellationToken cancellationToken) =>
        candidate.Family == ModelFamily.Torch
            ? candidate.FitAsync(_fitOn, _stopping, _context, cancellationToken)
            : candidate.FitAsync(_train, _stopping, _context, cancellationToken);

    // Cost for samplers is a deterministic estimate, not wall-clock time, so cost-aware samplers repeat themselves.
    private TrialOutcome Outcome(StoredTrial t) =>
        new(t.Number, t.Config, t.State, t.Score, t.FoldMetrics.Select(m => TaskMetrics.Loss(_task, m)).ToArray(),
            _space.Trainers.FirstOrDefault(s => s.Trainer == t.Config.Trainer)?.RelativeCost ?? 1);

    private static string StatusOf(TrialState state) => state switch
    {
        TrialState.Complete => TrialStatus.Succeeded,
        TrialState.Pruned => TrialStatus.Pruned,
        _ => TrialStatus.Failed,
    };

    private TrialResult ToResult(StoredTrial t, double finishedAt)
    {
        var definition = _trainers.FirstOrDefault(k => k.Name == t.Config.Trainer);
        var result = new TrialResult
        {
            Candidate = t.Config.Trainer,
            Family = definition?.Family.ToName() ?? "",
            Hyperparameters = definition is null ? [] : new Dictionary<string, object?>(definition.Create(t.Config.Parameters).Hyperparameters),
            Status = t.Reason?.StartsWith("skipped: ", StringComparison.Ordinal) == true ? TrialStatus.Skipped : StatusOf(t.State),
            Reason = t.Reason?.StartsWith("skipped: ", StringComparison.Ordinal) == true ? t.Reason["skipped: ".Length..] : t.Reason,
            TrainSeconds = t.Seconds,
            Number = t.Number,
            FinishedAtSeconds = finishedAt,
        };
        if (t.FoldMetrics.Count > 0) result.Metrics.Validation = new Dictionary<string, double>(t.FoldMetrics[0]);
        return result;
    }

    private async Task<TrialResult> FinalAsync(TrialOutcome winner, IExampleModel<TData>? model, ExperimentResult result)
    {
        var definition = _trainers.First(t => t.Name == winner.Config.Trainer);
        var candidate = definition.Create(winner.Config.Parameters);
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
            }
            if (_options.ModelPath is { } modelPath)
            {
                // A model that cannot be written does not undo the search: the results still say what was found.
                try
                {
                    var source = new BundleSource(_identity.Dataset.Label, candidate.Name, candidate.Family, candidate.Hyperparameters,
                        final.Metrics.Validation, _test is null ? null : final.Metrics.Test, _identity.Dataset.Sha256);
                    await ExampleBundle.SaveAsync(modelPath, model, _task, _train.ClassNames, source, CancellationToken.None).ConfigureAwait(false);
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
