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
/// An AutoML search over tabular data, shaped like an Optuna study: a sampler proposes a trainer and its
/// hyperparameters, every trial is scored by k-fold cross-validation on the same folds, a pruner stops trials
/// that cannot win, and each finished trial goes to the study store at once, so a killed run resumes where it
/// stopped. The best configuration (by mean fold loss) is refitted on all training rows and scored once on
/// the test rows, which the search never sees. <see cref="Prepare"/> checks everything that bad input can
/// break before anything trains.
/// </summary>
public sealed class AutoMLStudy
{
    private readonly string _name;
    private readonly TabularData _data;
    private readonly IReadOnlyList<int> _trainRows;
    private readonly TabularData? _testData;
    private readonly IReadOnlyList<int>? _testRows;
    private readonly AutoMLOptions _options;
    private readonly TabularFeaturizer _featurizer;
    private readonly List<Fold> _folds;
    private readonly JointSearchSpace _space;
    private readonly ISampler _sampler;
    private readonly IPruner _pruner;
    private readonly TrainContext _context;

    private AutoMLStudy(string name, TabularData data, IReadOnlyList<int> trainRows, TabularData? testData, IReadOnlyList<int>? testRows,
        AutoMLOptions options, TabularFeaturizer featurizer, List<Fold> folds, JointSearchSpace space,
        ISampler sampler, IPruner pruner)
    {
        _name = name; _data = data; _trainRows = trainRows; _testData = testData; _testRows = testRows; _options = options;
        _featurizer = featurizer; _folds = folds; _space = space; _sampler = sampler; _pruner = pruner;
        _context = new TrainContext(options.Task, featurizer.ClassNames?.Count ?? 0, options.Seed, options.Device, options.Precision);
    }

    /// <summary>
    /// Checks the options and data, and computes the folds: <paramref name="trainRows"/> of <paramref name="data"/> are
    /// searched; <paramref name="testRows"/> of <paramref name="testData"/> (both null: no test score) score the final model.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The options or the data are wrong.</exception>
    public static AutoMLStudy Prepare(string name, TabularData data, IReadOnlyList<int> trainRows, TabularData? testData, IReadOnlyList<int>? testRows, AutoMLOptions options)
    {
        if (options.Parallel < 1) throw new WorkbenchInputException($"--parallel must be at least 1, not {options.Parallel}.");
        if (options.BudgetSeconds is <= 0) throw new WorkbenchInputException($"The budget must be a positive number of seconds, not {options.BudgetSeconds}.");
        if (options.MaxTrials is < 1) throw new WorkbenchInputException($"The number of trials must be at least 1, not {options.MaxTrials}.");
        if (options.BudgetSeconds is null && options.MaxTrials is null) throw new WorkbenchInputException("Give a time budget, a number of trials, or both.");
        var sampler = Samplers.Create(options.Tuner);
        IPruner pruner = options.Pruner switch
        {
            "median" => new MedianPruner(),
            "none" => new NopPruner(),
            _ => throw new WorkbenchInputException($"Unknown pruner '{options.Pruner}'; use median or none."),
        };
        var known = TrainerCatalog.For(options.Task);
        var trainers = options.Trainers.Count == 0 ? known : options.Trainers.Select(t =>
            known.FirstOrDefault(k => k.Name == t) ?? throw new WorkbenchInputException(
                $"Trainer '{t}' does not serve task {options.Task.ToName()}; choose from: {string.Join(", ", known.Select(k => k.Name))}.")).ToArray();
        if (testData is not null && !testData.ColumnNames.SequenceEqual(data.ColumnNames))
            throw new WorkbenchInputException($"Test file '{testData.Path}' does not have the same columns as training file '{data.Path}'.");

        var featurizer = TabularFeaturizer.Fit(data, options.Label, options.Task, trainRows, options.ColumnRoles);
        var labelIndex = data.ColumnIndex(options.Label);
        Func<int, int>? classOf = null;
        if (featurizer.ClassNames is { } classes)
        {
            var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
            var counts = trainRows.GroupBy(r => data.Rows[r][labelIndex]).ToDictionary(g => g.Key, g => g.Count());
            var rare = counts.Where(c => c.Value < Math.Max(2, options.Folds)).Select(c => c.Key).ToArray();
            if (rare.Length > 0)
                throw new WorkbenchInputException(
                    $"Class '{rare[0]}' of label '{options.Label}' has {counts[rare[0]]} training example(s); each class needs at least {Math.Max(2, options.Folds)} for {options.Folds}-fold cross-validation (use fewer folds, or remove or merge the class).");
            classOf = r => index[data.Rows[r][labelIndex]];
        }
        var folds = CrossValidationFolds.Create(trainRows, options.Folds, options.Seed, classOf)
            .Select(f =>
            {
                // Each fold learns its own featurization from its own training rows: nothing leaks from validation rows.
                var foldFeaturizer = TabularFeaturizer.Fit(data, options.Label, options.Task, f.Train, options.ColumnRoles);
                // Networks stop early on a seeded tenth of the fold's training rows, never on the rows that score them.
                var shuffled = f.Train.ToArray();
                new Random(options.Seed).Shuffle(shuffled);
                var cut = Math.Max(1, shuffled.Length / 10);
                return new Fold(foldFeaturizer.Transform(data, f.Train), foldFeaturizer.Transform(data, f.Validation),
                    foldFeaturizer.Transform(data, shuffled[cut..]), foldFeaturizer.Transform(data, shuffled[..cut]));
            }).ToList();
        var space = TrainerCatalog.SearchSpace(options.Task, trainers);
        return new AutoMLStudy(name, data, trainRows, testData, testRows, options, featurizer, folds, space, sampler, pruner);
    }

    /// <summary>The study's name (the experiment's).</summary>
    public string Name => _name;

    private string Fingerprint()
    {
        var text = new StringBuilder()
            .Append(_data.Sha256).Append('|').Append(_options.Task.ToName()).Append('|').Append(_options.Label).Append('|')
            .Append(_options.Folds).Append('|').Append(_options.Seed).Append('|').Append(_sampler.Name).Append('|')
            .Append(string.Join(',', _space.Trainers.Select(t => t.Trainer))).Append('|')
            .Append(string.Join(',', (_options.ColumnRoles ?? new Dictionary<string, ColumnKind>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))).Append('|')
            .Append(string.Join(',', _trainRows));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Runs the search, refits the best configuration and scores it on the test rows.</summary>
    public async Task<ExperimentResult> RunAsync(IProgress<TrialProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var (store, stored) = await SqliteStudyStore.ResumeAsync(_options.StudyPath, _options.StudyName, Fingerprint, cancellationToken).ConfigureAwait(false);
        using var closing = store;
        var result = NewResult();
        var history = new List<TrialOutcome>();
        var clock = Stopwatch.StartNew();
        double resumedSeconds = 0;
        var resumed = 0;
        var number = 0;
        string stopReason;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested) { stopReason = "interrupted"; break; }
            if (_options.MaxTrials is { } max && number >= max) { stopReason = "trials"; break; }
            if (stored.TryGetValue(number, out var old))
            {
                resumedSeconds += old.Seconds;
                history.Add(Outcome(old));
                result.Trials.Add(ToResult(old, resumedSeconds));
                resumed++;
                number++;
                continue;
            }
            if (_options.BudgetSeconds is { } budget && clock.Elapsed.TotalSeconds >= budget) { stopReason = "budget"; break; }

            // Propose a batch; trials of one batch see the others as pending (recorded as failed until they finish),
            // so samplers do not propose the same point twice.
            var batch = new List<(int Number, TrialConfig Config)>();
            var pending = new List<TrialOutcome>(history);
            for (var b = 0; b < _options.Parallel && (_options.MaxTrials is not { } m || number + b < m); b++)
            {
                // One random source per trial number, the same in every process (HashCode is seeded per process),
                // so that a resumed study proposes what the uninterrupted one would have.
                var config = _sampler.Propose(_space, pending, new Random(unchecked(_options.Seed * 1_000_003 + number + b) & int.MaxValue));
                batch.Add((number + b, config));
                pending.Add(new TrialOutcome(number + b, config, TrialState.Failed, null, [], 0));
            }
            foreach (var (n, config) in batch) progress?.Report(new TrialProgress(_name, config.Trainer, n, _options.MaxTrials ?? 0, null));
            var snapshot = history.ToArray();
            StoredTrial[] finished;
            try
            {
                finished = await Task.WhenAll(batch.Select(b => RunTrialAsync(b.Number, b.Config, snapshot, cancellationToken))).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                stopReason = "interrupted";
                break;
            }
            foreach (var trial in finished)
            {
                if (store is not null) await store.SaveTrialAsync(trial, CancellationToken.None).ConfigureAwait(false);
                history.Add(Outcome(trial));
                result.Trials.Add(ToResult(trial, resumedSeconds + clock.Elapsed.TotalSeconds));
                progress?.Report(new TrialProgress(_name, trial.Config.Trainer, trial.Number, _options.MaxTrials ?? 0, StatusOf(trial.State)));
            }
            number += batch.Count;
        }

        result.AutoML = new AutoMLInfo
        {
            Tuner = _sampler.Name, Pruner = _options.Pruner, BudgetSeconds = _options.BudgetSeconds, Folds = _options.Folds,
            Parallel = _options.Parallel, StudyPath = _options.StudyPath, ResumedTrials = resumed, StopReason = stopReason,
        };
        var best = history.Where(h => h.State == TrialState.Complete && h.Score is not null).OrderBy(h => h.Score).ThenBy(h => h.Number).FirstOrDefault();
        if (best is not null)
        {
            result.Best = best.Config.Trainer;
            // The final refit runs even after Ctrl+C: the user keeps the best model found so far.
            result.AutoML.Final = await FinalAsync(best, result).ConfigureAwait(false);
        }
        return result;
    }

    private ExperimentResult NewResult() => new()
    {
        Name = _name,
        Task = _options.Task.ToName(),
        PrimaryMetric = TaskMetrics.Primary(_options.Task),
        HigherIsBetter = TaskMetrics.HigherIsBetter(_options.Task),
        Dataset = new DatasetInfo
        {
            Name = Path.GetFileNameWithoutExtension(_data.Path), Path = _data.Path, Sha256 = _data.Sha256, Rows = _data.Rows.Count,
            Columns = _data.ColumnNames.Count, Label = _options.Label, Features = _featurizer.UsedColumns.ToList(),
            Dropped = new Dictionary<string, string>(_featurizer.Dropped),
        },
        Split = new SplitInfo
        {
            Kind = _options.Folds == 1 ? "holdout" : $"{_options.Folds}-fold cross-validation" + (_options.Task.IsClassification() ? " (stratified)" : ""),
            Seed = _options.Seed, TrainRows = _trainRows.Count, ValidationRows = _folds.Sum(f => f.Validation.Rows) / Math.Max(1, _folds.Count),
            TestRows = _testRows?.Count ?? 0,
        },
        ClassNames = _featurizer.ClassNames?.ToList(),
    };

    private async Task<StoredTrial> RunTrialAsync(int number, TrialConfig config, IReadOnlyList<TrialOutcome> history, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var foldMetrics = new List<IReadOnlyDictionary<string, double>>();
        var scores = new List<double>();
        var limit = _options.BudgetSeconds is { } budget ? TimeSpan.FromSeconds(Math.Max(1, budget * _options.TrialTimeShare)) : Timeout.InfiniteTimeSpan;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            var candidate = TrainerCatalog.Find(config.Trainer)!.Create(_options.Task, config.Parameters);
            for (var k = 0; k < _folds.Count; k++)
            {
                var fold = _folds[k];
                var validation = fold.Validation;
                // ML.NET trainers ignore the early-stopping rows and fit on all of the fold's training rows.
                var fitOn = candidate.Family == ModelFamily.Torch ? fold.TrainWithoutStopping : fold.Train;
                // WaitAsync abandons a fit that overruns (ML.NET fits cannot be cancelled); its result is ignored.
                using var model = await candidate.FitAsync(fitOn, fold.Stopping, _context, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
                var metrics = TaskMetrics.Compute(_options.Task, validation.Labels, model.Predict(validation), _context.Classes);
                foldMetrics.Add(metrics);
                scores.Add(TaskMetrics.Loss(_options.Task, metrics));
                if (k < _folds.Count - 1 && _pruner.ShouldPrune(scores, history))
                    return new StoredTrial(number, config, TrialState.Pruned, scores.Average(), foldMetrics, clock.Elapsed.TotalSeconds,
                        $"pruned after {k + 1} of {_folds.Count} folds: worse than the median of earlier trials", DateTimeOffset.UtcNow);
            }
            return new StoredTrial(number, config, TrialState.Complete, scores.Average(), foldMetrics, clock.Elapsed.TotalSeconds, null, DateTimeOffset.UtcNow);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new StoredTrial(number, config, TrialState.Failed, null, foldMetrics, clock.Elapsed.TotalSeconds,
                $"exceeded its share of the budget ({limit.TotalSeconds:0.#} s)", DateTimeOffset.UtcNow);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new StoredTrial(number, config, TrialState.Failed, null, foldMetrics, clock.Elapsed.TotalSeconds, ExperimentRunner.Describe(e), DateTimeOffset.UtcNow);
        }
    }

    // Cost for samplers is an estimate (the trainer's relative cost per fold scored), not wall-clock time: with
    // measured seconds, cost-aware samplers (CFO) would propose a different sequence on every run.
    private TrialOutcome Outcome(StoredTrial t) =>
        new(t.Number, t.Config, t.State, t.Score, t.FoldMetrics.Select(m => TaskMetrics.Loss(_options.Task, m)).ToArray(),
            _space.Trainers.FirstOrDefault(s => s.Trainer == t.Config.Trainer)?.RelativeCost * Math.Max(1, t.FoldMetrics.Count) ?? 1);

    private static string StatusOf(TrialState state) => state switch
    {
        TrialState.Complete => TrialStatus.Succeeded,
        TrialState.Pruned => TrialStatus.Pruned,
        _ => TrialStatus.Failed,
    };

    private TrialResult ToResult(StoredTrial t, double finishedAt)
    {
        var hyperparameters = TrainerCatalog.Find(t.Config.Trainer)?.Create(_options.Task, t.Config.Parameters).Hyperparameters;
        var result = new TrialResult
        {
            Candidate = t.Config.Trainer,
            Family = TrainerCatalog.Find(t.Config.Trainer)?.Family.ToName() ?? "",
            Hyperparameters = hyperparameters is null ? [] : new Dictionary<string, object?>(hyperparameters),
            Status = StatusOf(t.State),
            Reason = t.Reason,
            TrainSeconds = t.Seconds,
            Number = t.Number,
            FinishedAtSeconds = finishedAt,
            Folds = t.FoldMetrics.Select(m => new Dictionary<string, double>(m)).ToList(),
        };
        if (t.FoldMetrics.Count > 0)
        {
            foreach (var key in t.FoldMetrics[0].Keys)
            {
                var values = t.FoldMetrics.Select(m => m[key]).ToArray();
                var mean = values.Average();
                result.Metrics.Validation[key] = mean;
                (result.ValidationStd ??= [])[key] = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
            }
        }
        return result;
    }

    private async Task<TrialResult> FinalAsync(TrialOutcome best, ExperimentResult result)
    {
        var definition = TrainerCatalog.Find(best.Config.Trainer)!;
        var candidate = definition.Create(_options.Task, best.Config.Parameters);
        var final = new TrialResult
        {
            Candidate = candidate.Name, Family = candidate.Family.ToName(), Number = best.Number,
            Hyperparameters = new Dictionary<string, object?>(candidate.Hyperparameters),
        };
        var clock = Stopwatch.StartNew();
        try
        {
            // TorchSharp models stop early on a validation set: keep a seeded tenth of the training rows for it.
            // ML.NET trainers ignore validation rows, so they refit on every training row.
            var rows = _trainRows;
            IReadOnlyList<int> stopping = _trainRows;
            if (candidate.Family == ModelFamily.Torch)
            {
                var shuffled = _trainRows.ToArray();
                new Random(_options.Seed).Shuffle(shuffled);
                var cut = Math.Max(1, shuffled.Length / 10);
                stopping = shuffled[..cut];
                rows = shuffled[cut..];
            }
            var train = _featurizer.Transform(_data, rows);
            using var model = await candidate.FitAsync(train, _featurizer.Transform(_data, stopping), _context, CancellationToken.None).ConfigureAwait(false);
            final.TrainSeconds = clock.Elapsed.TotalSeconds;
            final.Curves = model.Curves.ToList();
            (final.ModelBytes, final.PretrainedBytes) = ModelSize.Of(model);
            final.Metrics.Validation = new Dictionary<string, double>(result.Trials.First(t => t.Number == best.Number).Metrics.Validation);
            if (_testData is not null && _testRows is not null)
            {
                var test = _featurizer.Transform(_testData, _testRows);
                model.Predict(test); // warm-up before timing
                clock.Restart();
                var predicted = model.Predict(test);
                final.PredictMicrosecondsPerRow = clock.Elapsed.TotalMicroseconds / test.Rows;
                final.Metrics.Test = TaskMetrics.Compute(_options.Task, test.Labels, predicted, _context.Classes);
                final.RecordTest(_options.Task, predicted);
                result.TestLabels = test.Labels.Select(v => (double)v).ToList();
                result.FeatureImportance = PermutationImportance.Compute(model, _featurizer, _testData, _testRows, _options.Task, _context.Classes, _options.Seed);
            }
            if (_options.ModelPath is { } modelPath)
            {
                // A model that cannot be written does not undo the search: the results still say what was found.
                try
                {
                    var source = new BundleSource(_options.Label, candidate.Name, candidate.Family, candidate.Hyperparameters,
                        final.Metrics.Validation, _testData is null ? null : final.Metrics.Test, _data.Sha256);
                    await ModelBundle.SaveAsync(modelPath, model, _featurizer, source, CancellationToken.None).ConfigureAwait(false);
                    result.AutoML!.ModelPath = Path.GetFullPath(modelPath);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    final.Reason = "the final model was not saved: " + ExperimentRunner.Describe(e);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            final.Status = TrialStatus.Failed;
            final.Reason = "final refit failed: " + ExperimentRunner.Describe(e);
        }
        return final;
    }

    /// <summary>One cross-validation fold, featurized by its own training rows.</summary>
    private sealed record Fold(FeatureMatrix Train, FeatureMatrix Validation, FeatureMatrix TrainWithoutStopping, FeatureMatrix Stopping);
}
