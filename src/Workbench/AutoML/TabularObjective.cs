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
/// The objective of an AutoML search over tabular data: every trial is scored by k-fold cross-validation on the same
/// folds (each fold featurized by its own training rows), reporting each fold to the study so that its pruner can stop
/// trials that cannot win. The best configuration (by mean fold loss) is refitted on all training rows and scored once
/// on the test rows, which the search never sees. <see cref="Prepare"/> checks everything that bad input can break
/// before anything trains.
/// </summary>
public sealed class TabularObjective : ISearchObjective
{
    private readonly string _name;
    private readonly TabularData _data;
    private readonly IReadOnlyList<int> _trainRows;
    private readonly TabularData? _testData;
    private readonly IReadOnlyList<int>? _testRows;
    private readonly AutoMLOptions _options;
    private readonly TabularFeaturizer _featurizer;
    private readonly List<Fold> _folds;
    private readonly int _foldCount;
    private readonly TrainContext _context;

    private TabularObjective(string name, TabularData data, IReadOnlyList<int> trainRows, TabularData? testData, IReadOnlyList<int>? testRows,
        AutoMLOptions options, TabularFeaturizer featurizer, List<Fold> folds, JointSearchSpace space)
    {
        _name = name; _data = data; _trainRows = trainRows; _testData = testData; _testRows = testRows; _options = options;
        _featurizer = featurizer; _folds = folds; _foldCount = folds.Count; Space = space;
        _context = new TrainContext(options.Task, featurizer.ClassNames?.Count ?? 0, options.Seed, options.Device, options.Precision);
    }

    /// <summary>
    /// Checks the options and data, and computes the folds: <paramref name="trainRows"/> of <paramref name="data"/> are
    /// searched; <paramref name="testRows"/> of <paramref name="testData"/> (both null: no test score) score the final model.
    /// <paramref name="options"/>' task, label, folds, seed, trainers, column roles, device, precision and model path apply.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The options or the data are wrong.</exception>
    public static TabularObjective Prepare(string name, TabularData data, IReadOnlyList<int> trainRows, TabularData? testData, IReadOnlyList<int>? testRows, AutoMLOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var known = TrainerCatalog.For(options.Task);
        var trainers = options.Trainers.Count == 0 ? known : options.Trainers.Select(t =>
            known.FirstOrDefault(k => k.Name == t) ?? throw new WorkbenchInputException(
                $"Trainer '{t}' does not serve task {options.Task.ToName()}; choose from: {string.Join(", ", known.Select(k => k.Name))}.")).ToArray();
        if (testData is not null && !testData.ColumnNames.SequenceEqual(data.ColumnNames))
            throw new WorkbenchInputException($"Test file '{testData.Path}' does not have the same columns as training file '{data.Path}'.");

        var featurizer = TabularFeaturizer.Fit(data, options.Label, options.Task, trainRows, options.ColumnRoles);
        var foldCount = options.FoldsFor(trainRows.Count);
        var labelIndex = data.ColumnIndex(options.Label);
        Func<int, int>? classOf = null;
        if (featurizer.ClassNames is { } classes)
        {
            var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
            var counts = trainRows.GroupBy(r => data.Rows[r][labelIndex]).ToDictionary(g => g.Key, g => g.Count());
            var rare = counts.Where(c => c.Value < Math.Max(2, foldCount)).Select(c => c.Key).ToArray();
            if (rare.Length > 0)
                throw new WorkbenchInputException(
                    $"Class '{rare[0]}' of label '{options.Label}' has {counts[rare[0]]} training example(s); each class needs at least {Math.Max(2, foldCount)} for {foldCount}-fold cross-validation (use fewer folds, or remove or merge the class).");
            classOf = r => index[data.Rows[r][labelIndex]];
        }
        var folds = CrossValidationFolds.Create(trainRows, foldCount, options.Seed, classOf)
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
        return new TabularObjective(name, data, trainRows, testData, testRows, options, featurizer, folds, space);
    }

    /// <inheritdoc/>
    public string Name => _name;

    /// <inheritdoc/>
    public JointSearchSpace Space { get; }

    /// <inheritdoc/>
    public IReadOnlyList<TrialConfig> StartingPoints => [];

    /// <inheritdoc/>
    public int Folds => _foldCount;

    /// <inheritdoc/>
    public string Fingerprint =>
        $"data={_data.Sha256}; task={_options.Task.ToName()}; label={_options.Label}; metric={TaskMetrics.Primary(_options.Task)}; folds={_foldCount}; " +
        $"training seed={_options.Seed}; trainers={string.Join(',', Space.Trainers.Select(t => t.Trainer))}; " +
        $"columns={string.Join(',', (_options.ColumnRoles ?? new Dictionary<string, ColumnKind>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))}; " +
        $"device={_options.Device}; precision={_options.Precision}; " +
        $"rows={Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(',', _trainRows))))}";

    /// <inheritdoc/>
    public double Loss(IReadOnlyDictionary<string, double> metrics) => TaskMetrics.Loss(_options.Task, metrics);

    /// <inheritdoc/>
    public double TieBreak(StoredTrial trial) => 0;

    /// <inheritdoc/>
    public ExperimentResult NewResult() => new()
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
            Kind = (_foldCount == 1 ? "holdout" : $"{_foldCount}-fold cross-validation") + (_options.Task.IsClassification() ? " (stratified)" : "") +
                   (_options.Folds is null ? $" (chosen by size: {(_foldCount == 1 ? "more than" : "at most")} {_options.HoldoutAboveRows:N0} training rows)" : ""),
            Seed = _options.Seed, TrainRows = _trainRows.Count, ValidationRows = _folds.Sum(f => f.Validation.Rows) / Math.Max(1, _folds.Count),
            TestRows = _testRows?.Count ?? 0,
        },
        ClassNames = _featurizer.ClassNames?.ToList(),
        // What each searched trainer runs with when the search sets nothing: the report marks what a trial changed.
        CandidateDefaults = Space.Trainers.Select(t => TrainerCatalog.Find(t.Trainer)).OfType<TrainerDefinition<FeatureMatrix>>()
            .ToDictionary(t => t.Name, t => new Dictionary<string, object?>(t.CreateDefault(_options.Task).Hyperparameters)),
    };

    /// <inheritdoc/>
    public async Task<TrialEvaluation> EvaluateAsync(Trial trial, CancellationToken cancellationToken)
    {
        var candidate = TrainerCatalog.Find(trial.Config.Trainer)!.Create(_options.Task, trial.Config.Parameters);
        for (var k = 0; k < _folds.Count; k++)
        {
            var fold = _folds[k];
            var validation = fold.Validation;
            // ML.NET trainers ignore the early-stopping rows and fit on all of the fold's training rows.
            var fitOn = candidate.Family == ModelFamily.Torch ? fold.TrainWithoutStopping : fold.Train;
            // WaitAsync abandons a fit that overruns (ML.NET fits cannot be cancelled); its result is ignored.
            using var model = await candidate.FitAsync(fitOn, fold.Stopping, _context, cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
            await trial.ReportAsync(TaskMetrics.Compute(_options.Task, validation.Labels, model.Predict(validation), _context.Classes), cancellationToken).ConfigureAwait(false);
            if (k < _folds.Count - 1 && trial.ShouldPrune())
                return new TrialEvaluation(TrialState.Pruned, $"pruned after {k + 1} of {_folds.Count} folds: " +
                    (trial.Pruner is MedianPruner ? "worse than the median of earlier trials" : $"stopped by the {trial.Pruner.Name} pruner"));
        }
        return TrialEvaluation.Complete;
    }

    /// <inheritdoc/>
    public TrialResult Describe(StoredTrial t, double finishedAt)
    {
        var hyperparameters = TrainerCatalog.Find(t.Config.Trainer)?.Create(_options.Task, t.Config.Parameters).Hyperparameters;
        var result = new TrialResult
        {
            Candidate = t.Config.Trainer,
            Family = TrainerCatalog.Find(t.Config.Trainer)?.Family.ToName() ?? "",
            Hyperparameters = hyperparameters is null ? [] : new Dictionary<string, object?>(hyperparameters),
            Status = Study.StatusOf(t.State),
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

    /// <inheritdoc/>
    public async Task<TrialResult?> FinishAsync(StoredTrial? best, ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (best is null) return null;
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
            var stoppingRows = _featurizer.Transform(_data, stopping);
            using var model = await candidate.FitAsync(train, stoppingRows, _context, CancellationToken.None).ConfigureAwait(false);
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
                // Every training row: the refit's rows, and for networks the tenth they stopped on.
                result.Baseline = Baselines.From(_options.Task, ReferenceEquals(rows, _trainRows) ? train.Labels : [.. train.Labels, .. stoppingRows.Labels], _context.Classes);
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
