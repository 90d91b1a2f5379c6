using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Models.Ensemble;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.AutoML;

namespace MLWorkbench.Search;

/// <summary>
/// The objective of an AutoML search over tabular data: every trial is scored by k-fold cross-validation on the same
/// folds (each fold featurized by its own training rows), reporting each fold to the study so that its pruner can stop
/// trials that cannot win. The search starts with a portfolio (<see cref="TabularPortfolio"/>); a cost model
/// (<see cref="TrialCostModel"/>) keeps trials that cannot finish in their seconds from starting and bounds trainers
/// that cannot be cancelled; ML.NET fits are cancelled through their own context when their seconds are up. The best
/// configuration (by mean fold loss) is refitted on all training rows (unless <see cref="AutoMLOptions.Refit"/> is
/// false) and scored once on the test rows, which the search never sees, beside the winner's own model as selected. A
/// weighted ensemble of the best trials (<see cref="EnsembleSelection"/>, on their out-of-fold predictions) replaces it
/// when it beats the winner on rows its weights never saw.
/// A holdout search (one fold, large tables) runs successive halving over rows (ASHA, η = 3, as the image and text
/// searches do over epochs): a sampled configuration is fitted on a seeded ninth, then a third, then all of the
/// holdout's training rows (no rung below <see cref="AutoMLOptions.RowRungMinRows"/>), each rung scored on the
/// validation rows, and goes on only while it is in the best third of its trainer's trials at that rung; portfolio
/// configurations fit on all rows at once (a strong default is never judged at a fidelity too low to show it).
/// <see cref="Prepare"/> checks everything that bad input can break before anything trains.
/// </summary>
internal sealed class TabularObjective : ISearchObjective
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
    // What the results say about a trial beyond the store's record: its cost prediction, an iteration bound, a cancellation.
    private readonly ConcurrentDictionary<int, TrialNote> _notes = new();
    private readonly Lock _selectedLock = new();
    // The best complete trial's own model so far (its first fold's): the "as selected" model of the results.
    private Selected? _selected;
    // The best trials' out-of-fold predictions (every fold's validation rows, in fold order), for the ensemble.
    private readonly EnsemblePool _ensemble = new();
    // The cost model of the latest trial to start (calibrated by every trial finished before it): what the ensemble's
    // members' refits are predicted from.
    private TrialCostModel? _costs;
    // The winner's refit for the final model, with the labels it saw and its seconds, kept until the ensemble is judged:
    // when the ensemble wins, the winner is its first member, and is not refit a second time.
    private (ITrainedModel<FeatureMatrix> Model, float[] LabelsSeen, double Seconds)? _finalWinner;

    // Trainers measured not to stop when their MLContext is cancelled (issue 15: GAM ran to its end, 107 s after a
    // 2 s cancel), with the parameter that bounds their work: they are given only the iterations that fit, up front.
    private static readonly FrozenDictionary<string, string> BoundedUpFront =
        new Dictionary<string, string>(StringComparer.Ordinal) { ["gam"] = "numberOfIterations" }.ToFrozenDictionary();

    // A cancelled fit gets this long to return before it is abandoned (and keeps a core until it ends).
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);

    // A bounded trainer plans for this share of its seconds: its prediction is rough, and the fit must end in time.
    private const double PlanShare = 0.7;

    // A trainer without finished trials of its own is predicted from its prior, which may be several times off:
    // it is refused only when that prediction exceeds its seconds this many times (it is cancelled anyway if it must).
    private const double UncalibratedSlack = 2;

    private const int FewestIterations = 10;

    // Row rungs of a holdout search: the order in which the holdout's training rows (ML.NET trainers) and its rows
    // without the early-stopping tenth (networks) join the rungs. Each rung is a prefix, so a higher rung holds every
    // row of the lower; empty in k-fold searches.
    private readonly int[] _rungOrder = [];
    private readonly int[] _rungOrderNetworks = [];

    private TabularObjective(string name, TabularData data, IReadOnlyList<int> trainRows, TabularData? testData, IReadOnlyList<int>? testRows,
        AutoMLOptions options, TabularFeaturizer featurizer, List<Fold> folds, JointSearchSpace space)
    {
        _name = name; _data = data; _trainRows = trainRows; _testData = testData; _testRows = testRows; _options = options;
        _featurizer = featurizer; _folds = folds; _foldCount = folds.Count; Space = space;
        _context = new TrainContext(options.Task, featurizer.ClassNames?.Count ?? 0, options.Seed, options.Device, options.Precision);
        StartingPoints = TabularPortfolio.For(options.Task, trainRows.Count, space);
        if (_foldCount == 1)
        {
            var classes = featurizer.ClassNames is not null;
            _rungOrder = RungOrder(folds[0].Train.Labels, classes, options.Seed);
            _rungOrderNetworks = RungOrder(folds[0].TrainWithoutStopping.Labels, classes, options.Seed);
        }
    }

    /// <summary>
    /// The rows of each row rung, lowest first, for a holdout with <paramref name="trainRows"/> training rows: a ninth, a
    /// third and all of them (η = 3, at most <see cref="HoldoutObjective{TData}.RungCount"/> rungs), leaving out every rung
    /// below <paramref name="minRows"/> rows. One rung (all rows) means no successive halving.
    /// </summary>
    internal static IReadOnlyList<int> RowRungs(int trainRows, int minRows)
    {
        var rungs = new List<int> { trainRows };
        for (var level = 1; level < HoldoutObjective<FeatureMatrix>.RungCount; level++)
        {
            var rows = (int)Math.Round(trainRows / Math.Pow(HoldoutObjective<FeatureMatrix>.Eta, level));
            if (rows < Math.Max(1, minRows) || rows >= rungs[^1]) break;
            rungs.Add(rows);
        }
        rungs.Reverse();
        return rungs;
    }

    // A seeded order of the rows whose every prefix is a sample of them; for classification every class comes once
    // first (a rung never lacks a class the trainer must know), then the rows run through each class at an even pace,
    // so that each prefix keeps the class shares (stratified, as the holdout split is).
    internal static int[] RungOrder(float[] labels, bool classification, int seed)
    {
        var order = Enumerable.Range(0, labels.Length).ToArray();
        new Random(seed).Shuffle(order);
        if (!classification) return order;
        var counts = labels.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        var seen = new Dictionary<float, int>();
        var position = new double[labels.Length];
        foreach (var row in order)
        {
            var k = seen.GetValueOrDefault(labels[row]);
            seen[labels[row]] = k + 1;
            position[row] = k == 0 ? -1 : (k + 0.5) / counts[labels[row]];
        }
        // OrderBy is stable: rows at the same position keep the seeded order.
        return [.. order.OrderBy(row => position[row])];
    }

    // How many full fits' worth of rows a finished trial fitted: the sum of its row rungs' rows over the holdout's
    // training rows (1 for a trial without row rungs), so that the cost model learns a rate per full fit.
    private double RowsShare(StoredTrial trial)
    {
        if (trial.FoldMetrics.Count != 1) return 1;
        var rows = 0.0;
        for (var level = 0; level < HoldoutObjective<FeatureMatrix>.RungCount; level++)
            if (trial.FoldMetrics[0].TryGetValue($"{RungPrefix}{level}.rows", out var r)) rows += r;
        return rows > 0 ? rows / _folds[0].Train.Rows : 1;
    }

    private const string RungPrefix = HoldoutObjective<FeatureMatrix>.RungPrefix;

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
                return new Fold(foldFeaturizer, foldFeaturizer.Transform(data, f.Train), foldFeaturizer.Transform(data, f.Validation),
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
    /// <remarks>The portfolio of <see cref="TabularPortfolio.For"/> for this task and number of training rows.</remarks>
    public IReadOnlyList<TrialConfig> StartingPoints { get; internal set; }

    /// <summary>
    /// False lets every trial start whatever its predicted cost (it is still cancelled when its seconds are up), and
    /// leaves trainers that cannot be cancelled unbounded: for tests of the cancellation itself. Default true.
    /// </summary>
    internal bool PredictCosts { get; set; } = true;

    /// <inheritdoc/>
    public int Folds => _foldCount;

    /// <inheritdoc/>
    public string Fingerprint =>
        $"data={_data.Sha256}; task={_options.Task.ToName()}; label={_options.Label}; metric={TaskMetrics.Primary(_options.Task)}; folds={_foldCount}; " +
        $"training seed={_options.Seed}; trainers={string.Join(',', Space.Trainers.Select(t => t.Trainer))}; " +
        $"columns={string.Join(',', (_options.ColumnRoles ?? new Dictionary<string, ColumnKind>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))}; " +
        $"device={_options.Device}; precision={_options.Precision}; " +
        // Only a search that runs row rungs names them: k-fold studies and holdouts too small for rungs resume as before.
        (RowRungs(_folds[0].Train.Rows, _options.RowRungMinRows) is { Count: > 1 } rungs && _foldCount == 1
            ? $"fidelity=rows(eta={HoldoutObjective<FeatureMatrix>.Eta}, rungs={string.Join('/', rungs)}, portfolio=full); " : "") +
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
        ArgumentNullException.ThrowIfNull(trial);
        var config = trial.Config;
        var started = Stopwatch.StartNew();
        var note = _notes.GetOrAdd(trial.Number, _ => new TrialNote());
        var sample = _folds[0].Train;
        var costs = TrialCostModel.Calibrate(sample.Rows, sample.Columns, _context.Classes, trial.Finished, share: RowsShare);
        Volatile.Write(ref _costs, costs);
        // Row rungs: a sampled configuration of a holdout search, never a portfolio one. Its fits together cost the sum
        // of its rungs' rows (if it is promoted to the end) in full fits' worth.
        var rungs = _foldCount == 1 && !StartingPoints.Any(p => p.Key == trial.Config.Key) ? RowRungs(sample.Rows, _options.RowRungMinRows) : [];
        var fits = rungs.Count > 1 ? (double)rungs.Sum() / sample.Rows : _folds.Count;
        if (trial.SecondsAllowed is { } allowed && PredictCosts)
        {
            if (BoundedUpFront.TryGetValue(config.Trainer, out var parameter))
            {
                // Until the trainer has finished trials of its own, its rate is borrowed from the others: plan for half as much
                // (on InstEval's 4,100 one-hot columns a GAM bounded from the others' rate to 3,260 iterations ran past its 150 s).
                var plan = costs.IsCalibrated(config.Trainer) ? PlanShare : PlanShare / 2;
                var most = costs.MaxIterations(config, parameter, plan * allowed / fits);
                var asked = config.Parameters.TryGetValue(parameter, out var value) ? Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) : int.MaxValue;
                if (most < FewestIterations)
                    return TrialEvaluation.NotStarted($"{config.Trainer} cannot be cancelled, and the cost model fits fewer than {FewestIterations} of its iterations in the {allowed:0.#} s it may take");
                if (asked > most)
                {
                    config = config with { Parameters = new Dictionary<string, object>(config.Parameters) { [parameter] = most } };
                    note.Bound = $"{parameter} bounded from {(asked == int.MaxValue ? "its default" : asked.ToString(System.Globalization.CultureInfo.InvariantCulture))} to {most}: {config.Trainer} cannot be cancelled, so it gets the iterations the cost model fits in {plan:P0} of its {allowed:0.#} s";
                }
            }
            note.Predicted = costs.PredictSeconds(config) * fits;
            var slack = costs.IsCalibrated(config.Trainer) ? 1 : UncalibratedSlack;
            // A trial under row rungs needs only its first rung to fit: it is the cheaper fidelity, and a rung after it
            // that would not fit is not started (the trial completes at the rung it reached).
            var firstRung = rungs.Count > 1 ? costs.PredictSeconds(config) * rungs[0] / sample.Rows : note.Predicted.Value;
            if (firstRung > slack * allowed)
                return TrialEvaluation.NotStarted($"the cost model predicts {firstRung:0.#} s for its " +
                    (rungs.Count > 1 ? $"first row rung ({rungs[0]:N0} rows; {note.Predicted:0.#} s for all {rungs.Count})" : $"{_folds.Count} fit(s)") +
                    $", more than the {allowed:0.#} s it may take");
        }
        else note.Predicted = costs.PredictSeconds(config) * fits;
        note.Config = config;

        var candidate = TrainerCatalog.Find(config.Trainer)!.Create(_options.Task, config.Parameters);
        if (rungs.Count > 1) return await RowHalvingAsync(trial, config, candidate, note, started, cancellationToken).ConfigureAwait(false);
        ITrainedModel<FeatureMatrix>? first = null;
        var outOfFold = new List<Predictions>(_folds.Count);
        try
        {
            for (var k = 0; k < _folds.Count; k++)
            {
                var fold = _folds[k];
                var validation = fold.Validation;
                // ML.NET trainers ignore the early-stopping rows and fit on all of the fold's training rows.
                var fitOn = candidate.Family == ModelFamily.Torch ? fold.TrainWithoutStopping : fold.Train;
                var left = trial.SecondsAllowed is { } seconds ? TimeSpan.FromSeconds(Math.Max(0, seconds - started.Elapsed.TotalSeconds)) : Timeout.InfiniteTimeSpan;
                var model = await FitAsync(candidate, fitOn, fold.Stopping, note, trial.SecondsAllowed, left, cancellationToken).ConfigureAwait(false);
                if (k == 0) first = model;
                try
                {
                    var predicted = model.Predict(validation);
                    outOfFold.Add(predicted);
                    await trial.ReportAsync(TaskMetrics.Compute(_options.Task, validation.Labels, predicted, _context.Classes), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    if (k > 0) model.Dispose();
                }
                if (k < _folds.Count - 1 && trial.ShouldPrune())
                    return new TrialEvaluation(TrialState.Pruned, $"pruned after {k + 1} of {_folds.Count} folds: " +
                        (trial.Pruner is MedianPruner ? "worse than the median of earlier trials" : $"stopped by the {trial.Pruner.Name} pruner"));
            }
            var loss = trial.Steps.Average(Loss);
            await _ensemble.OfferAsync(trial, config, loss, Concat(outOfFold), cancellationToken).ConfigureAwait(false);
            if (first is not null && Offer(trial.Number, loss, first, _folds[0].Train.Rows)) first = null;
            return TrialEvaluation.Complete;
        }
        finally
        {
            first?.Dispose();
        }
    }

    /// <summary>
    /// Successive halving over rows for a sampled configuration of a holdout search: fitted on each rung's rows (a seeded
    /// prefix of the holdout's training rows), scored on the validation rows, and stopped at a rung where its loss is not
    /// in the best 1/η of its trainer's trials at that rung (Optuna's ASHA rule, as the epoch rungs use). A rung that
    /// would not fit in the trial's seconds (predicted from the last rung's seconds per row), or that is cancelled when
    /// they are up, leaves the trial complete at the rung it finished. The one reported step carries the last rung's
    /// metrics (the trial's score) and every rung's rows and value.
    /// </summary>
    private async Task<TrialEvaluation> RowHalvingAsync(Trial trial, TrialConfig config, ICandidate<FeatureMatrix> candidate, TrialNote note, Stopwatch started,
        CancellationToken cancellationToken)
    {
        var fold = _folds[0];
        var networks = candidate.Family == ModelFamily.Torch;
        // ML.NET trainers ignore the early-stopping rows and fit on all of the holdout's training rows.
        var all = networks ? fold.TrainWithoutStopping : fold.Train;
        var order = networks ? _rungOrderNetworks : _rungOrder;
        var rungs = RowRungs(all.Rows, _options.RowRungMinRows);
        var primary = TaskMetrics.Primary(_options.Task);
        var reached = new List<(int Rows, double Value, int Level)>();
        // A promotion claimed from a shared store goes on from the rungs its earlier jobs reached (each rung is its own
        // fit on more rows, so nothing of theirs is needed but their records).
        if (trial.Carried is [var carried, ..])
            for (var k = 0; k < rungs.Count - 1 && carried.TryGetValue($"{RungPrefix}{rungs.Count - 1 - k}.rows", out var rows) && (int)rows == rungs[k]; k++)
                reached.Add((rungs[k], carried[$"{RungPrefix}{rungs.Count - 1 - k}.value"], rungs.Count - 1 - k));
        ITrainedModel<FeatureMatrix>? model = null;
        // The last carried rung's metrics: what the trial scores if its next rung is stopped at the trial's seconds.
        IReadOnlyDictionary<string, double>? metrics = reached.Count == 0 ? null
            : trial.Carried[0].Where(m => !m.Key.StartsWith(RungPrefix, StringComparison.Ordinal)).ToDictionary();
        Predictions? predicted = null;
        string? reason = null;
        var state = TrialState.Complete;
        var promoted = false;
        try
        {
            for (var k = reached.Count; k < rungs.Count; k++)
            {
                var train = rungs[k] >= all.Rows ? all : all.Subset(order[..rungs[k]]);
                var rungStarted = started.Elapsed.TotalSeconds;
                var left = trial.SecondsAllowed is { } seconds ? TimeSpan.FromSeconds(Math.Max(0, seconds - rungStarted)) : Timeout.InfiniteTimeSpan;
                ITrainedModel<FeatureMatrix> fitted;
                try
                {
                    fitted = await FitAsync(candidate, train, fold.Stopping, note, trial.SecondsAllowed, left, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (metrics is not null)
                {
                    reason = $"completed at rung {k - 1} ({rungs[k - 1]:N0} rows): rung {k} ({rungs[k]:N0} rows) was stopped at the trial's seconds";
                    break;
                }
                model?.Dispose();
                model = fitted;
                predicted = model.Predict(fold.Validation);
                metrics = TaskMetrics.Compute(_options.Task, fold.Validation.Labels, predicted, _context.Classes);
                var level = rungs.Count - 1 - k;
                reached.Add((rungs[k], metrics[primary], level));
                if (k == rungs.Count - 1) break;

                var peers = RungLosses(trial.Finished, config.Trainer, level);
                if (!HoldoutObjective<FeatureMatrix>.Promotable(Loss(metrics), peers))
                {
                    state = TrialState.Pruned;
                    reason = $"stopped by successive halving at rung {k} ({rungs[k]:N0} of {all.Rows:N0} training rows): validation {primary} " +
                        $"{metrics[primary]:0.####} is not in the best 1/{HoldoutObjective<FeatureMatrix>.Eta} of the {peers.Count + 1} {config.Trainer} trials at that rung";
                    break;
                }
                // In a store shared by workers the next rung is queued work: whichever worker asks first fits it.
                if (trial.QueuesPromotions)
                {
                    promoted = true;
                    break;
                }
                // The next rung costs about its rows times this rung's seconds per row; a trial that cannot afford it ends here.
                var perRow = (started.Elapsed.TotalSeconds - rungStarted) / rungs[k];
                if (trial.SecondsAllowed is { } allowed && started.Elapsed.TotalSeconds + perRow * rungs[k + 1] > allowed)
                {
                    reason = $"completed at rung {k} ({rungs[k]:N0} rows): rung {k + 1} ({rungs[k + 1]:N0} rows) would need about {perRow * rungs[k + 1]:0.#} s, " +
                        $"beyond the {allowed:0.#} s the trial may take";
                    break;
                }
            }
            var step = new Dictionary<string, double>(metrics!);
            foreach (var (rows, value, level) in reached)
            {
                step[$"{RungPrefix}{level}.rows"] = rows;
                step[$"{RungPrefix}{level}.value"] = value;
            }
            await trial.ReportAsync(step, CancellationToken.None).ConfigureAwait(false);
            if (promoted)
                return TrialEvaluation.Promote($"promoted after rung {reached.Count - 1} ({reached[^1].Rows:N0} rows) to rung {reached.Count} ({rungs[reached.Count]:N0} rows)");
            // Without a model of its own here (its last rung ran in an earlier job), a trial is not offered.
            if (state == TrialState.Complete && model is not null)
            {
                await _ensemble.OfferAsync(trial, config, Loss(metrics!), predicted!, CancellationToken.None).ConfigureAwait(false);
                if (Offer(trial.Number, Loss(metrics!), model, reached[^1].Rows)) model = null;
            }
            return new TrialEvaluation(state, reason);
        }
        finally
        {
            model?.Dispose();
        }
    }

    // The losses that earlier trials of the same trainer reached at this level of the row rungs (trainers learn at
    // different rates from few rows: a boosted model is compared with its own kind, as networks are at their epochs).
    private List<double> RungLosses(IReadOnlyList<StoredTrial> finished, string trainer, int level) =>
        finished.Where(t => t.Config.Trainer == trainer && t.FoldMetrics.Count == 1 && t.FoldMetrics[0].ContainsKey($"{RungPrefix}{level}.rows"))
            .Select(t => Loss(new Dictionary<string, double> { [TaskMetrics.Primary(_options.Task)] = t.FoldMetrics[0][$"{RungPrefix}{level}.value"] }))
            .ToList();

    /// <summary>
    /// Fits one fold. When <paramref name="trialToken"/> is cancelled, or <paramref name="left"/> has passed (the trial's seconds are up), the fit is
    /// cancelled through its own context and waited for, so that the next trial has the core; how long it took to
    /// stop goes into the trial's note. A fit that does not stop within <see cref="StopWait"/> is abandoned.
    /// </summary>
    private async Task<ITrainedModel<FeatureMatrix>> FitAsync(ICandidate<FeatureMatrix> candidate, FeatureMatrix train, FeatureMatrix stopping, TrialNote note, double? allowed,
        TimeSpan left, CancellationToken trialToken)
    {
        // The study's timer runs on the thread pool, which a busy trainer can starve (measured: a 2 s share cancelled
        // after 130 s on an overloaded machine); a thread of the fit's own ends it on time.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(trialToken);
        using var watchdog = new DeadlineWatchdog(deadline, left);
        var cancellationToken = deadline.Token;
        long cancelledAt = 0;
        using var mark = cancellationToken.Register(() => Interlocked.CompareExchange(ref cancelledAt, Stopwatch.GetTimestamp(), 0));
        var fit = candidate.FitAsync(train, stopping, _context, cancellationToken);
        try
        {
            return await fit.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var stopped = await Task.WhenAny(fit, Task.Delay(StopWait, CancellationToken.None)).ConfigureAwait(false) == fit;
            note.CancelledAt = allowed;
            note.StopSeconds = stopped ? Stopwatch.GetElapsedTime(Interlocked.Read(ref cancelledAt)).TotalSeconds : null;
            if (!stopped) note.Abandoned = $"its fit did not stop within {StopWait.TotalSeconds:0} s of the cancellation and was abandoned";
            // A fit that finished anyway, now or later, is not needed.
            _ = fit.ContinueWith(t => { if (t.IsCompletedSuccessfully) t.Result.Dispose(); }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>Keeps <paramref name="model"/> as the selected model when its trial is the best so far; true when kept.</summary>
    private bool Offer(int number, double loss, ITrainedModel<FeatureMatrix> model, int rows)
    {
        lock (_selectedLock)
        {
            if (_selected is { } current && (current.Loss < loss || (current.Loss == loss && current.Number < number))) return false;
            _selected?.Model.Dispose();
            _selected = new Selected(number, loss, model, rows);
            return true;
        }
    }

    /// <inheritdoc/>
    public TrialResult Describe(StoredTrial t, double finishedAt)
    {
        _notes.TryGetValue(t.Number, out var note);
        var hyperparameters = TrainerCatalog.Find(t.Config.Trainer)?.Create(_options.Task, note?.Config?.Parameters ?? t.Config.Parameters).Hyperparameters;
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
            PredictedSeconds = note?.Predicted, CancelledAtSeconds = note?.CancelledAt, StopSeconds = note?.StopSeconds,
        };
        if (note?.Bound is { } bound) result.Hyperparameters["bound"] = bound;
        if (note?.Abandoned is { } abandoned) result.Reason = $"{result.Reason}; {abandoned}";
        if (t.FoldMetrics.Count > 0)
        {
            foreach (var key in t.FoldMetrics[0].Keys.Where(k => !k.StartsWith(RungPrefix, StringComparison.Ordinal)))
            {
                var values = t.FoldMetrics.Select(m => m[key]).ToArray();
                var mean = values.Average();
                result.Metrics.Validation[key] = mean;
                (result.ValidationStd ??= [])[key] = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
            }
            result.Rungs = HoldoutObjective<FeatureMatrix>.RungsFrom(t.FoldMetrics[0], t.State);
            // The fold's metrics are what the study scored; the rung records are in the trial's rungs.
            if (result.Rungs is not null) result.Folds = [.. result.Folds.Select(f => f.Where(m => !m.Key.StartsWith(RungPrefix, StringComparison.Ordinal)).ToDictionary())];
        }
        return result;
    }

    /// <inheritdoc/>
    public Task AdoptAsync(IReadOnlyList<StoredTrial> trials, IStudyStore store, CancellationToken cancellationToken) =>
        _ensemble.AdoptAsync(trials, store, cancellationToken);

    /// <inheritdoc/>
    public async Task<TrialResult?> FinishAsync(StoredTrial? best, ExperimentResult result)
    {
        var single = await FinishWinnerAsync(best, result).ConfigureAwait(false);
        try
        {
            return single is null || single.Status == TrialStatus.Failed ? single : await EnsembleAsync(best!, single, result).ConfigureAwait(false);
        }
        finally
        {
            _ensemble.Clear();
            _finalWinner?.Model.Dispose();
            _finalWinner = null;
        }
    }

    // The search's winner: refit on every training row (or kept as selected), scored once on test, saved.
    private async Task<TrialResult?> FinishWinnerAsync(StoredTrial? best, ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Selected? selected;
        lock (_selectedLock) (selected, _selected) = (_selected, null);
        // The selected model is the best trial's own only when the best trial ran here (not resumed from the store).
        if (selected is not null && selected.Number != best?.Number) { selected.Model.Dispose(); selected = null; }
        if (best is null) return null;
        _notes.TryGetValue(best.Number, out var note);
        var parameters = note?.Config?.Parameters ?? best.Config.Parameters;
        var definition = TrainerCatalog.Find(best.Config.Trainer)!;
        var candidate = definition.Create(_options.Task, parameters);
        var final = new TrialResult
        {
            Candidate = candidate.Name, Family = candidate.Family.ToName(), Number = best.Number,
            Hyperparameters = new Dictionary<string, object?>(candidate.Hyperparameters),
        };
        var automl = result.AutoML ??= new AutoMLInfo();
        var refit = _options.Refit || selected is null;
        var clock = Stopwatch.StartNew();
        ITrainedModel<FeatureMatrix>? refitted = null;
        try
        {
            if (selected is not null && _testData is not null && _testRows is not null)
            {
                var asSelectedTest = _folds[0].Featurizer.Transform(_testData, _testRows);
                automl.AsSelected = new TrialResult
                {
                    Candidate = candidate.Name, Family = candidate.Family.ToName(), Number = best.Number,
                    Hyperparameters = new Dictionary<string, object?>(candidate.Hyperparameters),
                    Metrics = new TrialMetrics
                    {
                        Validation = new Dictionary<string, double>(result.Trials.First(t => t.Number == best.Number).Metrics.Validation),
                        Test = TaskMetrics.Compute(_options.Task, asSelectedTest.Labels, selected.Model.Predict(asSelectedTest), _context.Classes),
                    },
                };
            }
            if (selected is not null) automl.AsSelectedTrainRows = selected.Rows;
            var featurizer = _featurizer;
            ITrainedModel<FeatureMatrix> model;
            FeatureMatrix train;
            FeatureMatrix? stoppingRows = null;
            if (refit)
            {
                (refitted, train, stoppingRows) = await FitOnTrainingRowsAsync(candidate).ConfigureAwait(false);
                model = refitted;
                final.TrainSeconds = clock.Elapsed.TotalSeconds;
                automl.Refit = new RefitInfo { Rows = "all training rows", TrainRows = _trainRows.Count, Seconds = final.TrainSeconds };
                automl.FinalTrainRows = _trainRows.Count;
                automl.FinalRows = $"all {_trainRows.Count:N0} training rows (refit after the search" +
                    (stoppingRows is null ? ")" : $"; the network stopped early on {stoppingRows.Rows:N0} of them)") +
                    (_options.Refit ? "" : "; --no-refit was asked, but the winner's own model was not kept: its trial was resumed from the study");
            }
            else
            {
                // --no-refit: the winner's own model, with the featurization its rows learned.
                model = selected!.Model;
                featurizer = _folds[0].Featurizer;
                train = _folds[0].Train;
                automl.Refit = null;
                automl.FinalTrainRows = selected.Rows;
                automl.FinalRows = $"{selected.Rows:N0} of the {_trainRows.Count:N0} training rows, as selected by the search (" +
                    (_foldCount == 1 ? "the holdout split's training rows" : $"the training rows of fold 1 of {_foldCount}") + "; --no-refit)";
            }
            final.Metrics.Validation = new Dictionary<string, double>(result.Trials.First(t => t.Number == best.Number).Metrics.Validation);
            // Every row the final model learned from: the refit's rows, and for networks the tenth they stopped on.
            float[] labelsSeen = stoppingRows is null ? train.Labels : [.. train.Labels, .. stoppingRows.Labels];
            await TestAndSaveAsync(final, model, featurizer, labelsSeen, candidate.Family, result).ConfigureAwait(false);
            if (refitted is not null)
            {
                _finalWinner = (refitted, labelsSeen, final.TrainSeconds);
                refitted = null;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            final.Status = TrialStatus.Failed;
            final.Reason = (refit ? "final refit failed: " : "the selected model failed: ") + MessageText.Failure(e);
        }
        finally
        {
            refitted?.Dispose();
            selected?.Model.Dispose();
        }
        return final;
    }

    /// <summary>
    /// Judges a weighted ensemble of the best trials on their out-of-fold predictions (weights fitted on half the rows,
    /// judged against the winner on the other half); when it wins there, its members are refit on every training row and
    /// it replaces <paramref name="winner"/> as the final model (scored once on test and saved as one bundle), and the
    /// winner's own result is kept in the ensemble's record.
    /// </summary>
    private async Task<TrialResult> EnsembleAsync(StoredTrial best, TrialResult winner, ExperimentResult result)
    {
        var offered = _ensemble.WithWinnerFirst(best.Number);
        if (offered.Count < 2) return winner;
        var rows = _foldCount == 1 ? "the holdout's validation rows" : $"out-of-fold predictions of {_foldCount}-fold cross-validation";
        // Members are admitted by their predicted refit seconds (fits on every training row, or on the first fold's under
        // --no-refit), so that the ensemble's refits stay a bounded share of the search's seconds.
        var sample = _folds[0].Train;
        var costs = Volatile.Read(ref _costs) ?? TrialCostModel.Calibrate(sample.Rows, sample.Columns, _context.Classes, []);
        var scale = (_options.Refit ? (double)_trainRows.Count : sample.Rows) / sample.Rows;
        var (members, leftOut) = EnsembleAdmission.Admit(offered, config => costs.PredictSeconds(config) * scale,
            _options.BudgetSeconds ?? result.AutoML!.SearchSeconds ?? 0);
        if (members.Count < 2)
        {
            result.AutoML!.Ensemble = new Results.EnsembleInfo { Rows = rows, LeftOut = leftOut, Reason = "not judged: no member besides the winner could be refit in the seconds allowed" };
            return winner;
        }
        var labels = _folds.SelectMany(f => f.Validation.Labels).ToArray();
        var verdict = EnsembleSelection.Judge(_options.Task, labels, members.Select(m => m.Predictions).ToArray(), _context.Classes, _options.Seed);
        var info = result.AutoML!.Ensemble = EnsembleReport.Describe(members, verdict, rows);
        info.LeftOut = leftOut;
        if (!verdict.Wins) return winner;

        if (!_options.Refit)
        {
            // --no-refit: every member as the as-selected winner is, trained on the holdout's (or the first fold's) training
            // rows with that fold's featurization; the search kept only the members' predictions, so each is trained again
            // exactly as its trial was there.
            var fold = _folds[0];
            return await EnsembleBuild.BuildAsync<FeatureMatrix>(members, verdict, info, winner, best.Number, _options.Task,
                config =>
                {
                    var candidate = TrainerCatalog.Find(config.Trainer)!.Create(_options.Task, config.Parameters);
                    return candidate.FitAsync(candidate.Family == ModelFamily.Torch ? fold.TrainWithoutStopping : fold.Train, fold.Stopping, _context, CancellationToken.None);
                },
                async (final, ensemble) =>
                {
                    await TestAndSaveAsync(final, ensemble, fold.Featurizer, fold.Train.Labels, ModelFamily.Ensemble, result).ConfigureAwait(false);
                    result.AutoML.Refit = null;
                    result.AutoML.FinalTrainRows = fold.Train.Rows;
                    result.AutoML.FinalRows = $"{fold.Train.Rows:N0} of the {_trainRows.Count:N0} training rows (" +
                        (_foldCount == 1 ? "the holdout split's training rows" : $"the training rows of fold 1 of {_foldCount}") +
                        "): each member trained as in the search (--no-refit)";
                }).ConfigureAwait(false);
        }

        var labelsSeen = new List<float>();
        var reusedSeconds = 0.0;
        return await EnsembleBuild.BuildAsync<FeatureMatrix>(members, verdict, info, winner, best.Number, _options.Task,
            async config =>
            {
                // The winner (the first member) as it was just refit for the final model, now owned by the ensemble.
                if (ReferenceEquals(config, members[0].Config) && _finalWinner is { } kept)
                {
                    _finalWinner = null;
                    reusedSeconds = kept.Seconds;
                    if (labelsSeen.Count == 0) labelsSeen.AddRange(kept.LabelsSeen);
                    return kept.Model;
                }
                var (model, train, stopping) = await FitOnTrainingRowsAsync(TrainerCatalog.Find(config.Trainer)!.Create(_options.Task, config.Parameters)).ConfigureAwait(false);
                if (labelsSeen.Count == 0) labelsSeen.AddRange(stopping is null ? train.Labels : [.. train.Labels, .. stopping.Labels]);
                return model;
            },
            async (final, ensemble) =>
            {
                final.TrainSeconds += reusedSeconds;
                await TestAndSaveAsync(final, ensemble, _featurizer, [.. labelsSeen], ModelFamily.Ensemble, result).ConfigureAwait(false);
                result.AutoML.Refit = new RefitInfo { Rows = "all training rows", TrainRows = _trainRows.Count, Seconds = final.TrainSeconds };
                result.AutoML.FinalTrainRows = _trainRows.Count;
                result.AutoML.FinalRows = $"all {_trainRows.Count:N0} training rows (each member refit after the search)";
            }).ConfigureAwait(false);
    }

    // A candidate fitted on every training row; TorchSharp models stop early on a seeded tenth of them (ML.NET trainers
    // ignore validation rows, so they fit on every training row).
    private async Task<(ITrainedModel<FeatureMatrix> Model, FeatureMatrix Train, FeatureMatrix? Stopping)> FitOnTrainingRowsAsync(ICandidate<FeatureMatrix> candidate)
    {
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
        var stoppingRows = ReferenceEquals(rows, _trainRows) ? null : _featurizer.Transform(_data, stopping);
        var model = await candidate.FitAsync(train, stoppingRows ?? train, _context, CancellationToken.None).ConfigureAwait(false);
        return (model, train, stoppingRows);
    }

    // Curves, size, the one test score (with per-row predictions, baseline and permutation importance), and the bundle.
    private async Task TestAndSaveAsync(TrialResult final, ITrainedModel<FeatureMatrix> model, TabularFeaturizer featurizer, float[] labelsSeen,
        ModelFamily family, ExperimentResult result)
    {
        final.Curves = model.Curves.ToList();
        (final.ModelBytes, final.PretrainedBytes) = ModelSize.Of(model);
        if (_testData is not null && _testRows is not null)
        {
            var test = featurizer.Transform(_testData, _testRows);
            model.Predict(test); // warm-up before timing
            var clock = Stopwatch.StartNew();
            var predicted = model.Predict(test);
            final.PredictMicrosecondsPerRow = clock.Elapsed.TotalMicroseconds / test.Rows;
            final.Metrics.Test = TaskMetrics.Compute(_options.Task, test.Labels, predicted, _context.Classes);
            final.RecordTest(_options.Task, predicted);
            result.TestLabels = test.Labels.Select(v => (double)v).ToList();
            result.Baseline = Baselines.From(_options.Task, labelsSeen, _context.Classes);
            result.FeatureImportance = PermutationImportance.Compute(model, featurizer, _testData, _testRows, _options.Task, _context.Classes, _options.Seed);
        }
        if (_options.ModelPath is { } modelPath)
        {
            // A model that cannot be written does not undo the search: the results still say what was found.
            try
            {
                var source = new BundleSource(_options.Label, final.Candidate, family, final.Hyperparameters,
                    final.Metrics.Validation, _testData is null ? null : final.Metrics.Test, _data.Sha256);
                await ModelBundle.SaveAsync(modelPath, model, featurizer, source, CancellationToken.None).ConfigureAwait(false);
                result.AutoML!.ModelPath = Path.GetFullPath(modelPath);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                final.Reason = "the final model was not saved: " + MessageText.Failure(e);
            }
        }
    }

    private static Predictions Concat(IReadOnlyList<Predictions> parts) =>
        new([.. parts.SelectMany(p => p.Values)], parts[0].Probabilities is null ? null : [.. parts.SelectMany(p => p.Probabilities!)]);

    /// <summary>One cross-validation fold, featurized by its own training rows (<paramref name="Featurizer"/>).</summary>
    private sealed record Fold(TabularFeaturizer Featurizer, FeatureMatrix Train, FeatureMatrix Validation, FeatureMatrix TrainWithoutStopping, FeatureMatrix Stopping);

    /// <summary>The best complete trial's own model (trained on its first fold's <paramref name="Rows"/> rows) and its mean loss.</summary>
    private sealed record Selected(int Number, double Loss, ITrainedModel<FeatureMatrix> Model, int Rows);

    /// <summary>What the results say about one trial of this run beyond the store's record (written by the trial's own task).</summary>
    private sealed class TrialNote
    {
        public TrialConfig? Config { get; set; }
        public double? Predicted { get; set; }
        public string? Bound { get; set; }
        public double? CancelledAt { get; set; }
        public double? StopSeconds { get; set; }
        public string? Abandoned { get; set; }
    }
}
