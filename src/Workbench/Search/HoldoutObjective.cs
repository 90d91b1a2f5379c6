using System.Collections.Concurrent;
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
/// The objective of an AutoML search over examples (images, texts, sentence pairs): each trial trains on the training
/// examples and is scored on the validation examples (one step: deep models make k-fold cross-validation too dear, so
/// the search uses one holdout split, as Optuna studies of networks usually do), and the best trial's model is scored
/// once on the test examples. Networks stop early on a seeded tenth of the training examples, never on the validation
/// examples that rank them. The search starts from a portfolio: every trainer's strong default (its starting point),
/// cheapest first, so that a short budget still compares every family at its best known setting; the sampler takes
/// over from there and learns from them. A configuration that was tried before is recorded as pruned without training
/// it again.
/// <para>
/// Networks (Torch trainers with a <c>maxEpochs</c> or <c>epochs</c> parameter) are trained by asynchronous successive
/// halving (ASHA, as Optuna's SuccessiveHalvingPruner) over epochs, guarded so that no network is judged below the
/// fidelity it needs: a portfolio default trains for all its epochs in one run (it is the reference the sampled trials
/// are measured against, and a default that learns slowly, as a CNN on a hard image set does, would look like chance
/// at a ninth of them); a sampled configuration of E epochs runs rungs of E/η², E/η and E (η = 3), each a fresh run with
/// its learning-rate schedule compressed to that many epochs, but no rung below a third of its candidate's default
/// epochs (E alone when E is below that); and a trial is compared only with trials of the same candidate at the same
/// rung (networks of different kinds learn at different speeds). After a rung the trial goes on only when its
/// validation loss is in the best 1/η of those peers so far; otherwise it is pruned there. A trial whose next rung
/// would not fit in the seconds the search allows it (predicted from its last rung's seconds) is cut to the epochs that
/// fit, or completes at the rung it reached. Every rung is recorded in results.
/// </para>
/// <para>
/// No trial starts that cannot finish in what it is allowed (its share of the budget, or what the budget has left): a
/// candidate's cost is predicted from its own finished trials (seconds per epoch for networks, per fit otherwise, on
/// the objective's clock, kept in each trial's step so that a resumed study knows them too), and a trial whose first
/// rung is predicted to take longer is not started (recorded with the prediction and the seconds it had); one whose
/// later rungs do not fit starts at its first rung and is cut there. A candidate without finished trials has no
/// prediction and starts (the study cancels it when its seconds are up). A network's fit is also given those seconds
/// (<see cref="TrainContext.TimeLimit"/>, less the scoring of the validation examples): networks that honour them (text
/// and pair networks) time their first steps, plan the steps that fit, and keep the model they have when the plan or the
/// limit ends training, so that a first trial with nothing to predict its cost from still ends with a model; its rung
/// records the epochs it trained (a fraction, maybe), which the refit repeats.
/// </para>
/// <para>
/// The winner is trained again on the training and validation examples (networks for the epochs of the rung it was
/// selected at, without early stopping) unless <see cref="AutoMLOptions.Refit"/> is off; the model as selected is kept
/// and scored on test too, and results keep the two scores apart. A weighted ensemble of the best trials
/// (<see cref="EnsembleSelection"/>, on their validation predictions) replaces it when it beats the winner on validation
/// examples its weights never saw.
/// </para>
/// </summary>
/// <typeparam name="TData">The kind of examples.</typeparam>
internal sealed class HoldoutObjective<TData> : ISearchObjective where TData : ILabelledData
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
    private readonly Func<TData, TData, TData>? _concat;
    private readonly Lock _gate = new();
    private (ITrainedModel<TData> Model, int Number, (double, double) Rank)? _best;
    // The best complete trials' validation predictions, for the ensemble.
    private readonly EnsemblePool _ensemble = new();
    // The final single model, kept after it was saved until the ensemble is judged: when the ensemble wins, the winner is
    // its first member, trained on the same examples in the same way, and is not trained a second time (a fine-tuned
    // MiniLM's refit takes minutes). With the seconds its training took (0 when the search trained it).
    private (ITrainedModel<TData> Model, double Seconds)? _finalWinner;

    /// <summary>Successive halving keeps the best 1/<see cref="Eta"/> of the trials at each rung.</summary>
    internal const int Eta = 3;

    /// <summary>At most three rungs of successive halving: 1/9, 1/3 and all of a network's epochs.</summary>
    internal const int RungCount = 3;

    // Rung records ride in the trial's one reported step (so that the study's score stays the final rung's, and a resumed
    // study still knows them); Describe moves them out of the validation metrics into the trial's rungs. A rung is keyed by
    // its level, the number of halvings below the configuration's full epochs (0: all of them), which is what trials of the
    // same candidate are compared at. The tabular search's row rungs (TabularObjective) use the same keys, with rows.
    internal const string RungPrefix = "asha.level";

    // The seconds a trial's fits and scoring took on the objective's clock, in its one reported step: what the cost of a
    // candidate's next trial is predicted from (the store's own seconds are wall-clock, and a test's clock is not).
    internal const string SecondsKey = "cost.seconds";

    // What the cost model predicted for each trial of this run before it started, for the results.
    private readonly ConcurrentDictionary<int, double> _predicted = new();

    // The configurations of the portfolio: trained for all their epochs in one run.
    private readonly HashSet<string> _portfolioKeys;

    private HoldoutObjective(string name, TaskKind task, TData train, TData fitOn, TData stopping, TData validation, TData? test,
        IReadOnlyList<TrainerDefinition<TData>> trainers, AutoMLOptions options, ExperimentResult identity, Func<TData, TData, TData>? concat,
        IReadOnlyCollection<string>? portfolio)
    {
        (_name, _task, _train, _fitOn, _stopping, _validation, _test, _trainers, _options, _identity, _concat) =
            (name, task, train, fitOn, stopping, validation, test, trainers, options, identity, concat);
        Space = new JointSearchSpace(trainers.Select(t => t.Space(task)).ToArray());
        StartingPoints = trainers.Where(t => portfolio is null || portfolio.Contains(t.Name)).OrderBy(t => t.Space(task).RelativeCost).Select(t => new TrialConfig(t.Name, t.Space(task).Initial)).ToArray();
        _portfolioKeys = StartingPoints.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        _context = new TrainContext(task, train.ClassNames?.Count ?? 0, options.Seed, options.Device, options.Precision);
    }

    /// <summary>
    /// Checks the options and makes the objective. <paramref name="identity"/> names the experiment and carries its dataset
    /// and split; <paramref name="subset"/> takes examples by index (used to set the early-stopping tenth aside).
    /// <paramref name="options"/>' seed, device, precision, model path and refit apply. <paramref name="concat"/> joins two
    /// sets (training then validation examples) for the final refit; without it the winner is kept as selected.
    /// <paramref name="portfolio"/> names the trainers whose strong defaults are queued before the sampler (null: every
    /// trainer's; a trainer left out is still searched, when the sampler proposes it).
    /// </summary>
    /// <exception cref="WorkbenchInputException">There are no trainers or too few training examples.</exception>
    public static HoldoutObjective<TData> Prepare(ExperimentResult identity, TaskKind task, TData train, TData validation, TData? test,
        IReadOnlyList<TrainerDefinition<TData>> trainers, Func<TData, IReadOnlyList<int>, TData> subset, AutoMLOptions options,
        Func<TData, TData, TData>? concat = null, IReadOnlyCollection<string>? portfolio = null)
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
        return new HoldoutObjective<TData>(identity.Name, task, train, fitOn, stopping, validation, test, trainers, options, identity, concat, portfolio);
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
        $"train={_train.Rows}; validation={_validation.Rows}; fidelity=asha(eta={Eta}, rungs={RungCount}, floor=default/{Eta}, peers=candidate, portfolio=full); " +
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
        var definition = _trainers.First(t => t.Name == trial.Config.Trainer);
        var rungs = RungsOf(definition, _task, trial.Config.Parameters);
        // A portfolio default is the reference: all its epochs in one run, never judged at a lower rung.
        if (rungs.Count > 0 && _portfolioKeys.Contains(trial.Config.Key)) rungs = [rungs[^1]];
        if (PredictSeconds(trial.Finished, trial.Config.Trainer, rungs) is { } predicted)
        {
            _predicted[trial.Number] = predicted.All;
            if (trial.SecondsAllowed is { } allowed && predicted.First > allowed)
                return TrialEvaluation.NotStarted($"the cost model predicts {predicted.First:0.#} s for its " +
                    (rungs.Count == 0 ? "fit" : $"first rung ({rungs[0]} epochs)") + $" from {predicted.From}, more than the {allowed:0.#} s it may take");
        }
        var start = _options.Clock.GetTimestamp();
        if (rungs.Count == 0)
        {
            var candidate = definition.Create(_task, trial.Config.Parameters);
            if (candidate.SkipReason is { } skip) return new TrialEvaluation(TrialState.Failed, "skipped: " + skip);
            var model = await Fit(candidate, _fitOn, cancellationToken).ConfigureAwait(false);
            IReadOnlyDictionary<string, double> metrics;
            try
            {
                (metrics, var validationPredictions) = Score(model);
                await trial.ReportAsync(new Dictionary<string, double>(metrics) { [SecondsKey] = _options.Clock.GetElapsedTime(start).TotalSeconds }, cancellationToken).ConfigureAwait(false);
                await _ensemble.OfferAsync(trial, trial.Config, Loss(metrics), validationPredictions, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            Keep(model, trial.Number, metrics);
            return TrialEvaluation.Complete;
        }
        return await SuccessiveHalvingAsync(trial, definition, rungs, start, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Seconds a trial of <paramref name="trainer"/> with <paramref name="rungs"/> (epochs; empty: one fit) is predicted
    /// to take, for its first rung and for all of them, from the median rate of the trainer's finished trials (seconds
    /// per epoch trained, or per fit); null when none finished with a measured cost.
    /// </summary>
    internal static (double First, double All, string From)? PredictSeconds(IReadOnlyList<StoredTrial> finished, string trainer, IReadOnlyList<int> rungs)
    {
        var rates = new List<double>();
        foreach (var t in finished)
        {
            // Only trials that trained: a failed trial's seconds say little, and a repeated configuration trained nothing.
            if (t.Config.Trainer != trainer || t.State is not (TrialState.Complete or TrialState.Pruned) || t.FoldMetrics.Count == 0) continue;
            if (!t.FoldMetrics[0].TryGetValue(SecondsKey, out var seconds) || t.Reason?.StartsWith("same configuration", StringComparison.Ordinal) == true) continue;
            var epochs = 0.0;
            for (var level = 0; level < RungCount; level++)
                if (t.FoldMetrics[0].TryGetValue($"{RungPrefix}{level}.epochs", out var e)) epochs += e;
            rates.Add(rungs.Count == 0 ? seconds : epochs > 0 ? seconds / epochs : double.NaN);
        }
        rates.RemoveAll(double.IsNaN);
        if (rates.Count == 0) return null;
        rates.Sort();
        var rate = rates.Count % 2 == 1 ? rates[rates.Count / 2] : (rates[rates.Count / 2 - 1] + rates[rates.Count / 2]) / 2;
        var from = $"{rates.Count} earlier {trainer} trial{(rates.Count == 1 ? "" : "s")} ({(rungs.Count == 0 ? $"{rate:0.##} s per fit" : $"{rate:0.##} s per epoch")})";
        return rungs.Count == 0 ? (rate, rate, from) : (rate * rungs[0], rate * rungs.Sum(), from);
    }

    /// <summary>
    /// The rungs of a configuration (see <see cref="RungEpochs"/>), its candidate's default epochs setting the floor;
    /// empty for trainers that are not networks or have no epoch parameter.
    /// </summary>
    internal static IReadOnlyList<int> RungsOf(TrainerDefinition<TData> definition, TaskKind task, IReadOnlyDictionary<string, object> parameters) =>
        FidelityOf(definition, task) is { } name && parameters.TryGetValue(name, out var value)
            ? RungEpochs(Epochs(value), definition.Space(task).Initial.TryGetValue(name, out var initial) ? Epochs(initial) : Epochs(value))
            : [];

    private static int Epochs(object value) => Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Epochs of each rung, lowest first, for a network trained for at most <paramref name="maxEpochs"/> whose candidate's
    /// default trains <paramref name="defaultEpochs"/>: E, E/η, E/η² (rounded, at most <see cref="RungCount"/>), none below
    /// the floor of a third of the default's epochs, so that a rung never judges a network at a fidelity its own default
    /// would not be judged at; E alone when E/η is below the floor.
    /// </summary>
    internal static IReadOnlyList<int> RungEpochs(int maxEpochs, int defaultEpochs)
    {
        var floor = Math.Max(1, (int)Math.Round(defaultEpochs / (double)Eta));
        var rungs = new List<int> { Math.Max(1, maxEpochs) };
        for (var level = 1; level < RungCount; level++)
        {
            var epochs = (int)Math.Round(maxEpochs / Math.Pow(Eta, level));
            if (epochs < floor || epochs >= rungs[^1]) break;
            rungs.Add(epochs);
        }
        rungs.Reverse();
        return rungs;
    }

    private static string? FidelityOf(TrainerDefinition<TData> definition, TaskKind task) => definition.Family == ModelFamily.Torch
        ? definition.Space(task).Parameters.OfType<IntDomain>().FirstOrDefault(d => d.Name is "maxEpochs" or "epochs")?.Name
        : null;

    private async Task<TrialEvaluation> SuccessiveHalvingAsync(Trial trial, TrainerDefinition<TData> definition, IReadOnlyList<int> planned, long start,
        CancellationToken cancellationToken)
    {
        var rungs = planned.ToList();
        var fidelity = FidelityOf(definition, _task)!;
        // What the study allows the trial: its share, or what the budget had left when it started (the share alone let a
        // trial that started near the budget's end run a full share past it).
        var share = trial.SecondsAllowed ?? _options.BudgetSeconds * _options.TrialTimeShare;
        double Elapsed() => _options.Clock.GetElapsedTime(start).TotalSeconds;
        var reached = new List<(double Epochs, double Value, int Level)>();
        TrainingPlan? plan = null;
        ITrainedModel<TData>? model = null;
        IReadOnlyDictionary<string, double>? metrics = null;
        Predictions? predicted = null;
        string? note = null;
        var state = TrialState.Complete;
        try
        {
            for (var k = 0; k < rungs.Count; k++)
            {
                var candidate = definition.Create(_task, new Dictionary<string, object>(trial.Config.Parameters) { [fidelity] = rungs[k] });
                if (candidate.SkipReason is { } skip) return new TrialEvaluation(TrialState.Failed, "skipped: " + skip);
                var started = Elapsed();
                ITrainedModel<TData> fitted;
                try
                {
                    fitted = await Fit(candidate, _fitOn, cancellationToken, TimeLimit(share, start)).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (model is not null)
                {
                    // The share ran out (or the user stopped the search) inside a later rung: the trial keeps the rung it finished.
                    note = $"completed at rung {k - 1} ({rungs[k - 1]} epochs): rung {k} ({rungs[k]} epochs) was stopped at the seconds the trial may take";
                    break;
                }
                model?.Dispose();
                model = fitted;
                (metrics, predicted) = Score(model);
                var level = rungs.Count - 1 - k;
                // A network that planned its steps against the trial's seconds says how far it got: the rung records the
                // epochs it trained (what its cost per epoch is measured by), and a rung cut short is the trial's last.
                plan = (model as ITrainingPlanReport)?.Plan;
                var cut = plan is { } p && (p.StoppedAtLimit || p.PlannedEpochs < p.ConfiguredEpochs - 1e-9);
                reached.Add((cut ? plan!.TrainedEpochs : rungs[k], metrics[TaskMetrics.Primary(_task)], level));
                if (cut)
                {
                    note = $"trained {plan!.TrainedEpochs:0.##} of {plan.ConfiguredEpochs:0.##} epochs at rung {k}: the {plan.PlannedEpochs:0.##} that its measured " +
                        $"{plan.SecondsPerStep:0.##} s per step fitted in the trial's seconds" + (plan.StoppedAtLimit ? ", stopped at the limit" : "") + "; the model it had is kept";
                    break;
                }
                if (k == rungs.Count - 1) break;

                var loss = Loss(metrics);
                var peers = RungLosses(trial.Finished, trial.Config.Trainer, level);
                if (!Promotable(loss, peers))
                {
                    state = TrialState.Pruned;
                    note = $"stopped by successive halving at rung {k} ({rungs[k]} epochs): validation {TaskMetrics.Primary(_task)} " +
                        $"{reached[^1].Value:0.####} is not in the best 1/{Eta} of the {peers.Count + 1} {trial.Config.Trainer} trials at that rung";
                    break;
                }
                // The next rung runs about (its epochs / these epochs) times as long as this one did. When it would not fit in
                // what is left of the trial's seconds, it is cut to the epochs that do (a shorter schedule, still annealed), and
                // it becomes the last; when not even one more epoch than this rung fits, the trial completes here.
                var perEpoch = (Elapsed() - started) / rungs[k];
                if (share is { } limit && Elapsed() + perEpoch * rungs[k + 1] > limit)
                {
                    var affordable = (int)Math.Floor(0.9 * (limit - Elapsed()) / Math.Max(perEpoch, 1e-9));
                    if (affordable <= rungs[k])
                    {
                        note = $"completed at rung {k} ({rungs[k]} epochs): rung {k + 1} ({rungs[k + 1]} epochs) would need about {perEpoch * rungs[k + 1]:0} s, " +
                            $"beyond the {limit:0} s the trial may take";
                        break;
                    }
                    note = $"rung {k + 1} cut from {rungs[k + 1]} to {affordable} epochs to fit the {limit:0} s the trial may take";
                    rungs[k + 1] = affordable;
                    rungs.RemoveRange(k + 2, rungs.Count - k - 2);
                }
            }
            var step = new Dictionary<string, double>(metrics!) { [SecondsKey] = Elapsed() };
            foreach (var (epochs, value, level) in reached)
            {
                step[$"{RungPrefix}{level}.epochs"] = epochs;
                step[$"{RungPrefix}{level}.value"] = value;
            }
            if (plan is not null) WritePlan(plan, step);
            await trial.ReportAsync(step, CancellationToken.None).ConfigureAwait(false);
            if (state == TrialState.Complete)
            {
                // An ensemble member is trained again at the epochs it was scored at.
                await _ensemble.OfferAsync(trial, trial.Config with { Parameters = TrainedAs(trial.Config.Parameters, fidelity, reached[^1].Epochs) },
                    Loss(metrics!), predicted!, CancellationToken.None).ConfigureAwait(false);
                Keep(model!, trial.Number, metrics!);
                model = null;
            }
            return new TrialEvaluation(state, note);
        }
        finally
        {
            model?.Dispose();
        }
    }

    /// <summary>
    /// A trial's settings as it trained: a network at the epochs of the rung it reached, and, when its time plan cut that
    /// rung short, <c>trainEpochs</c> = the epochs it trained (a fraction, maybe), so that a refit trains as long on its rows.
    /// </summary>
    internal static Dictionary<string, object> TrainedAs(IReadOnlyDictionary<string, object> parameters, string fidelity, double epochs)
    {
        var whole = Math.Max(1, (int)Math.Ceiling(epochs - 1e-9));
        var result = new Dictionary<string, object>(parameters) { [fidelity] = whole };
        if (Math.Abs(epochs - whole) > 1e-9) result[TrainEpochsKey] = epochs;
        return result;
    }

    // The hidden setting of the networks that trains a fraction of their epochs (see TrainedAs).
    internal const string TrainEpochsKey = "trainEpochs";

    // A time-planned network's plan rides in the trial's step as the rungs do; Describe moves it into the trial's training.
    internal const string PlanPrefix = "plan.";

    // What a network trial may take: what the study allows it from its start (a little less, for the store's calls after
    // it), less the scoring of the validation examples that follows the fit.
    private TrainingTimeLimit? TimeLimit(double? share, long start) =>
        share is { } seconds && !double.IsPositiveInfinity(seconds) ? new TrainingTimeLimit(_options.Clock, start, 0.97 * seconds, _validation.Rows) : null;

    private static void WritePlan(TrainingPlan plan, Dictionary<string, double> step)
    {
        step[PlanPrefix + "allowedSeconds"] = plan.AllowedSeconds;
        step[PlanPrefix + "configuredEpochs"] = plan.ConfiguredEpochs;
        step[PlanPrefix + "plannedEpochs"] = plan.PlannedEpochs;
        step[PlanPrefix + "trainedEpochs"] = plan.TrainedEpochs;
        step[PlanPrefix + "plannedExamples"] = plan.PlannedExamples;
        step[PlanPrefix + "trainedExamples"] = plan.TrainedExamples;
        if (plan.SecondsPerStep is { } perStep) step[PlanPrefix + "secondsPerStep"] = perStep;
        step[PlanPrefix + "stoppedAtLimit"] = plan.StoppedAtLimit ? 1 : 0;
    }

    /// <summary>The training plan a network trial recorded in its step (see <see cref="WritePlan"/>); null when it has none.</summary>
    internal static TrainingPlan? PlanFrom(IReadOnlyDictionary<string, double> step) =>
        step.TryGetValue(PlanPrefix + "trainedEpochs", out var trained) ? new TrainingPlan
        {
            AllowedSeconds = step.GetValueOrDefault(PlanPrefix + "allowedSeconds"),
            ConfiguredEpochs = step.GetValueOrDefault(PlanPrefix + "configuredEpochs"),
            PlannedEpochs = step.GetValueOrDefault(PlanPrefix + "plannedEpochs"),
            TrainedEpochs = trained,
            PlannedExamples = (long)step.GetValueOrDefault(PlanPrefix + "plannedExamples"),
            TrainedExamples = (long)step.GetValueOrDefault(PlanPrefix + "trainedExamples"),
            SecondsPerStep = step.TryGetValue(PlanPrefix + "secondsPerStep", out var perStep) ? perStep : null,
            StoppedAtLimit = step.GetValueOrDefault(PlanPrefix + "stoppedAtLimit") > 0,
        } : null;

    /// <summary>Optuna's promotion rule: promote when the loss is at most the (n / η)-th best of the n losses at the rung (the best when n &lt; η).</summary>
    internal static bool Promotable(double loss, IReadOnlyList<double> others)
    {
        var all = others.Append(loss).Order().ToArray();
        var index = Math.Max(0, all.Length / Eta - 1);
        return loss <= all[index];
    }

    // The losses that earlier trials of the same candidate reached at this level: a slow-starting network is measured
    // against its own kind at the same stage, not against a network that learns faster and plateaus lower.
    private List<double> RungLosses(IReadOnlyList<StoredTrial> finished, string trainer, int level) =>
        finished.Where(t => t.Config.Trainer == trainer && t.FoldMetrics.Count > 0 && t.FoldMetrics[0].ContainsKey($"{RungPrefix}{level}.value"))
            .Select(t => Loss(new Dictionary<string, double> { [TaskMetrics.Primary(_task)] = t.FoldMetrics[0][$"{RungPrefix}{level}.value"] }))
            .ToList();

    private (IReadOnlyDictionary<string, double> Metrics, Predictions Predicted) Score(ITrainedModel<TData> model)
    {
        var predicted = model.Predict(_validation);
        return (TaskMetrics.Compute(_task, _validation.Labels, predicted, _context.Classes), predicted);
    }

    // The best complete trial's model is kept, so that the winner is not trained twice when it is kept as selected.
    private void Keep(ITrainedModel<TData> model, int number, IReadOnlyDictionary<string, double> metrics)
    {
        var rank = Rank(metrics);
        lock (_gate)
        {
            if (_best is null || rank.CompareTo(_best.Value.Rank) < 0)
            {
                _best?.Model.Dispose();
                _best = (model, number, rank);
                return;
            }
        }
        model.Dispose();
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

    // Networks train on nine tenths and stop early on the rest; ML.NET pipelines do not stop early and use every training
    // example. The final refit passes every training and validation example as networkRows.
    private Task<ITrainedModel<TData>> Fit(ICandidate<TData> candidate, TData networkRows, CancellationToken cancellationToken, TrainingTimeLimit? limit = null) =>
        (candidate.Family == ModelFamily.Torch
            ? candidate.FitAsync(networkRows, _stopping, limit is null ? _context : _context with { TimeLimit = limit }, cancellationToken)
            : candidate.FitAsync(ReferenceEquals(networkRows, _fitOn) ? _train : networkRows, _stopping, _context, cancellationToken)).WaitAsync(cancellationToken);

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
            PredictedSeconds = _predicted.TryGetValue(t.Number, out var predicted) ? predicted : null,
        };
        if (t.FoldMetrics.Count > 0)
        {
            result.Metrics.Validation = t.FoldMetrics[0].Where(m => !m.Key.StartsWith(RungPrefix, StringComparison.Ordinal) && m.Key != SecondsKey
                && !m.Key.StartsWith(PlanPrefix, StringComparison.Ordinal)).ToDictionary();
            result.Rungs = RungsFrom(t.FoldMetrics[0], t.State);
            result.Training = PlanFrom(t.FoldMetrics[0]);
        }
        return result;
    }

    /// <summary>
    /// The rungs a trial reached, lowest first, from the step it reported (a rung's fidelity in <c>epochs</c> or, for
    /// the tabular search's row rungs, <c>rows</c>): every rung before the last was promoted; the last stopped the trial
    /// (pruned) or is its score. Null when the step has no rungs.
    /// </summary>
    internal static List<RungResult>? RungsFrom(IReadOnlyDictionary<string, double> step, TrialState state)
    {
        var rungs = new List<RungResult>();
        for (var level = RungCount - 1; level >= 0; level--)
        {
            if (!step.TryGetValue($"{RungPrefix}{level}.value", out var value)) continue;
            foreach (var unit in (string[])["epochs", "rows"])
                if (step.TryGetValue($"{RungPrefix}{level}.{unit}", out var fidelity))
                    rungs.Add(new RungResult { Rung = rungs.Count, Fidelity = fidelity, Unit = unit, Value = value, Outcome = "promoted" });
        }
        if (rungs.Count == 0) return null;
        rungs[^1].Outcome = state == TrialState.Pruned ? "stopped" : "final";
        return rungs;
    }

    /// <inheritdoc/>
    public Task AdoptAsync(IReadOnlyList<StoredTrial> trials, IStudyStore store, CancellationToken cancellationToken) =>
        _ensemble.AdoptAsync(trials, store, cancellationToken);

    /// <inheritdoc/>
    public async Task<TrialResult?> FinishAsync(StoredTrial? winner, ExperimentResult result)
    {
        var single = await FinishWinnerAsync(winner, result).ConfigureAwait(false);
        try
        {
            return single is null || single.Status == TrialStatus.Failed ? single : await EnsembleAsync(winner!, single, result).ConfigureAwait(false);
        }
        finally
        {
            _ensemble.Clear();
            _finalWinner?.Model.Dispose();
            _finalWinner = null;
        }
    }

    /// <summary>
    /// Judges a weighted ensemble of the best trials on their validation predictions (weights fitted on half the
    /// validation examples, judged against the winner on the other half); when it wins there, its members are trained
    /// again as the winner was (on training + validation examples, networks at the epochs they were scored at, unless
    /// refit is off) and it replaces <paramref name="winner"/> as the final model, scored once on test and saved as one bundle.
    /// </summary>
    private async Task<TrialResult> EnsembleAsync(StoredTrial best, TrialResult winner, ExperimentResult result)
    {
        var members = _ensemble.WithWinnerFirst(best.Number);
        if (members.Count < 2) return winner;
        var verdict = EnsembleSelection.Judge(_task, _validation.Labels, members.Select(m => m.Predictions).ToArray(), _context.Classes, _options.Seed);
        var info = result.AutoML!.Ensemble = EnsembleReport.Describe(members, verdict, "the validation examples");
        if (!verdict.Wins) return winner;

        var refit = _options.Refit && _concat is not null;
        var rows = refit ? _concat!(_train, _validation) : _fitOn;
        var reusedSeconds = 0.0;
        return await EnsembleBuild.BuildAsync<TData>(members, verdict, info, winner, best.Number, _task,
            config =>
            {
                // The winner (the first member) as it was just trained for the final model, now owned by the ensemble.
                if (ReferenceEquals(config, members[0].Config) && _finalWinner is { } kept)
                {
                    _finalWinner = null;
                    reusedSeconds = kept.Seconds;
                    return Task.FromResult(kept.Model);
                }
                var definition = _trainers.First(t => t.Name == config.Trainer);
                var parameters = new Dictionary<string, object>(config.Parameters);
                // As the winner's refit: networks for the epochs they were scored at, without stopping early.
                if (refit && FidelityOf(definition, _task) is { } fidelity && parameters.TryGetValue(fidelity, out var epochs)) parameters["patience"] = epochs;
                return Fit(definition.Create(_task, parameters), rows, CancellationToken.None);
            },
            async (final, ensemble) =>
            {
                Test(final, ensemble, result);
                await SaveAsync(final.Candidate, ModelFamily.Ensemble, final.Hyperparameters, final, ensemble, result).ConfigureAwait(false);
                final.TrainSeconds += reusedSeconds;
                if (refit) result.AutoML.Refit = new RefitInfo { TrainRows = rows.Rows, Seconds = final.TrainSeconds };
                // --no-refit: the search kept only the members' predictions, so each member is trained again exactly as its
                // trial was (same examples, epochs and seed), not on the validation examples the weights were judged on.
                (result.AutoML.FinalTrainRows, result.AutoML.FinalRows) = refit
                    ? (rows.Rows, $"all {rows.Rows:N0} training and validation examples (each member refit after the search)")
                    : (_train.Rows, $"the {_train.Rows:N0} training examples of the search, without the validation examples: each member trained as in its trial (--no-refit)");
            }).ConfigureAwait(false);
    }

    // The search's winner: refit on training + validation examples (or kept as selected), scored once on test, saved.
    private async Task<TrialResult?> FinishWinnerAsync(StoredTrial? winner, ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        // A winner from a resumed run was trained by an earlier process: train it again (same seed, same data).
        var model = _best is { } b && b.Number == winner?.Number ? b.Model : null;
        if (model is null) _best?.Model.Dispose();
        _best = null;
        if (winner is null) return null;
        var definition = _trainers.First(t => t.Name == winner.Config.Trainer);
        var selected = result.Trials.First(t => t.Number == winner.Number);
        // The configuration as selected: a network at the epochs of the last rung it reached.
        var parameters = new Dictionary<string, object>(winner.Config.Parameters);
        int? epochs = null;
        if (FidelityOf(definition, _task) is { } fidelity && parameters.TryGetValue(fidelity, out var configured))
        {
            // A rung its time plan cut short records the epochs it trained, maybe a fraction: trainEpochs repeats them.
            parameters = selected.Rungs is { Count: > 0 } rungs ? TrainedAs(parameters, fidelity, rungs[^1].Fidelity) : parameters;
            epochs = Convert.ToInt32(parameters[fidelity], System.Globalization.CultureInfo.InvariantCulture);
        }
        var candidate = definition.Create(_task, parameters);
        var asSelected = new TrialResult
        {
            Candidate = candidate.Name, Family = candidate.Family.ToName(), Number = winner.Number,
            Hyperparameters = new Dictionary<string, object?>(candidate.Hyperparameters),
            Metrics = { Validation = new Dictionary<string, double>(selected.Metrics.Validation) },
            TrainSeconds = selected.TrainSeconds, Rungs = selected.Rungs,
        };
        ITrainedModel<TData>? refitted = null;
        try
        {
            if (model is null)
            {
                var clock = Stopwatch.StartNew();
                model = await Fit(candidate, _fitOn, CancellationToken.None).ConfigureAwait(false);
                asSelected.TrainSeconds = clock.Elapsed.TotalSeconds;
            }
            Test(asSelected, model, result);
            if (!_options.Refit || _concat is null)
            {
                (result.AutoML!.FinalTrainRows, result.AutoML.FinalRows) =
                    (_train.Rows, $"the {_train.Rows:N0} training examples of the search, as selected" + (_options.Refit ? "" : " (--no-refit)"));
                await SaveAsync(candidate.Name, candidate.Family, candidate.Hyperparameters, asSelected, model, result).ConfigureAwait(false);
                // Kept for the ensemble: exactly how a member is trained without a refit (the search's examples, its epochs).
                (_finalWinner, model) = ((model, 0), null);
                return asSelected;
            }

            // The refit: every training and validation example, networks for the selected epochs without early stopping
            // (patience = epochs), so that the final model sees the most data at the fidelity that won.
            var all = _concat(_train, _validation);
            if (epochs is { } selectedEpochs) parameters["patience"] = selectedEpochs;
            var refitCandidate = definition.Create(_task, parameters);
            var final = new TrialResult
            {
                Candidate = refitCandidate.Name, Family = refitCandidate.Family.ToName(), Number = winner.Number,
                Hyperparameters = new Dictionary<string, object?>(refitCandidate.Hyperparameters),
                Metrics = { Validation = new Dictionary<string, double>(selected.Metrics.Validation) }, Rungs = selected.Rungs,
            };
            var watch = Stopwatch.StartNew();
            try
            {
                refitted = await Fit(refitCandidate, all, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                // The model as selected still stands: it is saved, and the results say why it was not refit.
                asSelected.Reason = "the winner could not be refit on the training and validation examples: " + MessageText.Failure(e);
                await SaveAsync(candidate.Name, candidate.Family, candidate.Hyperparameters, asSelected, model, result).ConfigureAwait(false);
                return asSelected;
            }
            final.TrainSeconds = watch.Elapsed.TotalSeconds;
            result.AutoML!.Refit = new RefitInfo { TrainRows = all.Rows, Epochs = epochs, Seconds = final.TrainSeconds };
            (result.AutoML.FinalTrainRows, result.AutoML.FinalRows) = (all.Rows, $"all {all.Rows:N0} training and validation examples (refit after the search)");
            result.AutoML.AsSelected = asSelected;
            Test(final, refitted, result);
            await SaveAsync(refitCandidate.Name, refitCandidate.Family, refitCandidate.Hyperparameters, final, refitted, result).ConfigureAwait(false);
            // Kept for the ensemble: exactly how a member is refit (training and validation examples, the selected epochs).
            (_finalWinner, refitted) = ((refitted, final.TrainSeconds), null);
            return final;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            asSelected.Status = TrialStatus.Failed;
            asSelected.Reason = "the winner could not be trained again or scored: " + MessageText.Failure(e);
            return asSelected;
        }
        finally
        {
            model?.Dispose();
            refitted?.Dispose();
        }
    }

    // Curves, size and the one test score of a final model.
    private void Test(TrialResult trial, ITrainedModel<TData> model, ExperimentResult result)
    {
        trial.Curves = model.Curves.ToList();
        (trial.ModelBytes, trial.PretrainedBytes) = ModelSize.Of(model);
        if (_test is null) return;
        var watch = Stopwatch.StartNew();
        var predicted = model.Predict(_test);
        trial.PredictMicrosecondsPerRow = watch.Elapsed.TotalMicroseconds / _test.Rows;
        trial.Metrics.Test = TaskMetrics.Compute(_task, _test.Labels, predicted, _context.Classes);
        trial.RecordTest(_task, predicted);
        result.TestLabels = _test.Labels.Select(v => (double)v).ToList();
        result.Baseline = Baselines.From(_task, _train.Labels, _context.Classes);
    }

    // A model that cannot be written does not undo the search: the results still say what was found.
    private async Task SaveAsync(string name, ModelFamily family, IReadOnlyDictionary<string, object?> hyperparameters, TrialResult final, ITrainedModel<TData> model,
        ExperimentResult result)
    {
        if (_options.ModelPath is not { } modelPath) return;
        try
        {
            var source = new BundleSource(_identity.Dataset.Label, name, family, hyperparameters,
                final.Metrics.Validation, _test is null ? null : final.Metrics.Test, _identity.Dataset.Sha256);
            await ModelBundle.SaveAsync(modelPath, model, _task, _train.ClassNames, source, CancellationToken.None).ConfigureAwait(false);
            result.AutoML!.ModelPath = Path.GetFullPath(modelPath);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            final.Reason = "the final model was not saved: " + MessageText.Failure(e);
        }
    }
}
