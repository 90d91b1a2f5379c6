using System.Collections.Concurrent;
using MLWorkbench.AutoML;
using MLWorkbench.Evaluation;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;
using Xunit;
using MLWorkbench.Search;

namespace MLWorkbench.Tests.AutoML;

/// <summary>
/// The image/text/pair search's budget policy: the portfolio of strong defaults first, successive halving (ASHA) over
/// epochs for networks with every rung recorded, and the winner refit on training + validation examples. The networks
/// are stand-ins whose validation accuracy is set by a "quality" parameter and the epochs they train, so that what the
/// search decides can be checked exactly, in milliseconds.
/// </summary>
public sealed class SuccessiveHalvingTests
{
    private const int MaxEpochs = 9;

    /// <summary>One fit of a stand-in network: which configuration, for how many epochs, with what patience, on how many rows.</summary>
    private sealed record FitRecord(string Trainer, double Quality, int Epochs, int Patience, int Rows);

    [Fact]
    public void Rungs_are_a_ninth_a_third_and_all_of_the_epochs_never_below_a_third_of_the_default_and_promotion_keeps_the_best_third()
    {
        // A third of the default's epochs is the floor: the default CNN's 40 epochs are judged at 13, never at 4.
        Assert.Equal([13, 40], HoldoutObjective<TextExamples>.RungEpochs(40, 40));
        Assert.Equal([20, 60], HoldoutObjective<TextExamples>.RungEpochs(60, 40));
        Assert.Equal([9, 27, 81], HoldoutObjective<TextExamples>.RungEpochs(81, 9));
        Assert.Equal([3, 9], HoldoutObjective<TextExamples>.RungEpochs(9, 9));
        Assert.Equal([1, 3], HoldoutObjective<TextExamples>.RungEpochs(3, 3));
        // Fewer epochs than would leave a rung above the floor: one run of all of them.
        Assert.Equal([15], HoldoutObjective<TextExamples>.RungEpochs(15, 40));
        Assert.Equal([5], HoldoutObjective<TextExamples>.RungEpochs(5, 40));
        Assert.Equal([1], HoldoutObjective<TextExamples>.RungEpochs(1, 1));
        // Fewer than η trials at a rung: only the best so far goes on.
        Assert.True(HoldoutObjective<TextExamples>.Promotable(-0.9, []));
        Assert.True(HoldoutObjective<TextExamples>.Promotable(-0.9, [-0.8]));
        Assert.False(HoldoutObjective<TextExamples>.Promotable(-0.8, [-0.9]));
        // Six trials: the best two (6 / 3) go on.
        Assert.True(HoldoutObjective<TextExamples>.Promotable(-0.85, [-0.9, -0.5, -0.4, -0.3, -0.2]));
        Assert.False(HoldoutObjective<TextExamples>.Promotable(-0.85, [-0.9, -0.88, -0.4, -0.3, -0.2]));
    }

    [Fact]
    public async Task The_portfolio_runs_first_weak_networks_stop_at_the_first_rung_and_every_rung_is_recorded()
    {
        var log = new ConcurrentQueue<FitRecord>();
        var (train, validation, test) = Data();
        var result = await Search(log, train, validation, test, new AutoMLOptions
        {
            Task = TaskKind.TextClassification, Label = "label", MaxTrials = 10, BudgetSeconds = null, Seed = 3, Tuner = "random", Refit = false,
        });

        // The portfolio, cheapest first, before anything sampled: the linear model, then the network's strong default.
        Assert.Equal("linear", result.Trials[0].Candidate);
        Assert.Equal("network", result.Trials[1].Candidate);
        Assert.Equal(0.95, Convert.ToDouble(result.Trials[1].Hyperparameters["quality"]), 6);
        Assert.Null(result.Trials[0].Rungs);

        // The default network is the reference: all its epochs in one run, scored there.
        var strong = result.Trials[1];
        Assert.Equal(TrialStatus.Succeeded, strong.Status);
        Assert.Equal([9.0], strong.Rungs!.Select(r => r.Fidelity));
        Assert.Equal(["final"], strong.Rungs!.Select(r => r.Outcome));
        Assert.Equal(strong.Rungs![^1].Value, strong.Metrics.Validation["accuracy"]);
        Assert.DoesNotContain(strong.Metrics.Validation.Keys, k => k.StartsWith("asha", StringComparison.Ordinal));

        // Sampled networks run rungs of 3 and 9 epochs (a third of the default's 9 is the floor); one that is weaker at 3
        // epochs than the networks before it at 3 stops there: one rung recorded, one three-epoch fit, pruned.
        var stopped = result.Trials.Where(t => t.Status == TrialStatus.Pruned && t.Rungs is not null).ToList();
        Assert.Contains(stopped, t => t.Rungs!.Count == 1);
        Assert.All(stopped, t =>
        {
            Assert.Equal("stopped", t.Rungs![^1].Outcome);
            Assert.Equal(3.0, t.Rungs![0].Fidelity);
            Assert.Contains("successive halving at rung 0", t.Reason);
            var quality = Convert.ToDouble(t.Hyperparameters["quality"]);
            Assert.Equal(t.Rungs!.Select(r => (int)r.Fidelity), log.Where(f => f.Quality == quality).Select(f => f.Epochs));
            Assert.Contains(result.Trials, e => e.Number < t.Number && e.Rungs is { Count: 2 } && e.Rungs[0].Value > t.Rungs![0].Value);
        });
        Assert.Equal(result.Trials.Where(t => t.Status == TrialStatus.Succeeded && t.Candidate == "network" && t.Number != strong.Number).Select(t => t.Number),
            result.Trials.Where(t => t.Rungs is { Count: 2 }).Select(t => t.Number));
        Assert.DoesNotContain(log, f => f.Trainer == "network" && f.Epochs < 3);

        // No refit asked: the final model is the one selected, and nothing trained on the validation examples.
        Assert.Null(result.AutoML!.Refit);
        Assert.Null(result.AutoML.AsSelected);
        Assert.DoesNotContain(log, f => f.Rows > train.Rows);
        Assert.True(result.AutoML.Final!.Metrics.Test.ContainsKey("accuracy"));
    }

    [Fact]
    public async Task The_winner_is_refit_on_training_and_validation_examples_at_its_selected_epochs_and_both_test_scores_are_kept()
    {
        var log = new ConcurrentQueue<FitRecord>();
        var (train, validation, test) = Data();
        var result = await Search(log, train, validation, test, new AutoMLOptions
        {
            Task = TaskKind.TextClassification, Label = "label", MaxTrials = 2, BudgetSeconds = null, Seed = 3, Tuner = "random",
        });

        var automl = result.AutoML!;
        Assert.Equal("network", result.Best);
        Assert.NotNull(automl.Refit);
        Assert.Equal(train.Rows + validation.Rows, automl.Refit!.TrainRows);
        Assert.Equal(MaxEpochs, automl.Refit.Epochs);
        Assert.Equal("train+validation", automl.Refit.Rows);
        // The refit ran the selected epochs without stopping early, on every training and validation example.
        var refit = log.Last();
        Assert.Equal((MaxEpochs, MaxEpochs, train.Rows + validation.Rows), (refit.Epochs, refit.Patience, refit.Rows));
        // As selected and refit: both scored once on test, kept apart, the saved (final) one is the refit.
        Assert.Equal(automl.Final!.Number, automl.AsSelected!.Number);
        Assert.True(automl.AsSelected.Metrics.Test.ContainsKey("accuracy"));
        Assert.True(automl.Final.Metrics.Test.ContainsKey("accuracy"));
        Assert.Equal(MaxEpochs, Convert.ToInt32(automl.Final.Hyperparameters["patience"]));
        Assert.Equal(3, Convert.ToInt32(automl.AsSelected.Hyperparameters["patience"]));
    }

    [Theory]
    // 12 s budget, so a trial's share is 6 s; a sampled network of 9 epochs runs rungs of 3 and 9. 600 ms per epoch: 3
    // epochs take 1.8 s, 9 more would not fit, but 6 do.
    [InlineData(600, true)]
    // 1.5 s per epoch: after the first rung, not even 4 epochs fit, so the trial completes at rung 0.
    [InlineData(1500, false)]
    public async Task A_network_whose_next_rung_cannot_fit_its_share_is_cut_to_what_fits_or_completes_where_it_is(int epochMilliseconds, bool cut)
    {
        var log = new ConcurrentQueue<FitRecord>();
        var (train, validation, test) = Data();
        // Epochs take time on a clock the stand-in advances, not on the wall: the decision is the same on a busy machine.
        var clock = new ManualClock();
        // No portfolio and no other trainer: the one trial is a sampled network, which goes through the rungs.
        var result = await Search(log, train, validation, test, new AutoMLOptions
        {
            Task = TaskKind.TextClassification, Label = "label", MaxTrials = 1, BudgetSeconds = 12, Seed = 3, Tuner = "random", Refit = false,
            Clock = clock,
        }, epochDelay: TimeSpan.FromMilliseconds(epochMilliseconds), portfolio: [], clock: clock, withLinear: false);

        var network = result.Trials.Single(t => t.Candidate == "network");
        Assert.True(TrialStatus.Succeeded == network.Status, network.Reason);
        Assert.Equal("final", network.Rungs![^1].Outcome);
        Assert.DoesNotContain(log, f => f.Trainer == "network" && f.Epochs == MaxEpochs);
        if (cut)
        {
            Assert.Equal([3.0, 6.0], network.Rungs!.Select(r => r.Fidelity));
            Assert.Contains("rung 1 cut from 9 to 6", network.Reason);
        }
        else
        {
            Assert.Equal(3.0, Assert.Single(network.Rungs!).Fidelity);
            Assert.Contains("completed at rung 0", network.Reason);
        }
        Assert.True(clock.Now < TimeSpan.FromSeconds(6), $"{clock.Now} on the trial's clock");
    }

    [Fact]
    public async Task A_trial_whose_first_rung_is_predicted_past_its_seconds_is_not_started_and_recorded_with_the_prediction_and_the_seconds_it_had()
    {
        var log = new ConcurrentQueue<FitRecord>();
        var (train, validation, test) = Data();
        var clock = new ManualClock();
        // 12 s budget: a trial may take 6 s. 2.5 s per epoch on the objective's clock: the first sampled network's first
        // rung (3 epochs) takes 7.5 s and it completes there; from then on the cost model knows the network's rate and
        // predicts 7.5 s for every later first rung, so none starts, and after three refusals in a row the search ends.
        var result = await Search(log, train, validation, test, new AutoMLOptions
        {
            Task = TaskKind.TextClassification, Label = "label", MaxTrials = 10, BudgetSeconds = 12, Seed = 3, Tuner = "random", Refit = false,
            Clock = clock,
        }, epochDelay: TimeSpan.FromMilliseconds(2500), portfolio: [], clock: clock, withLinear: false);

        Assert.Equal(4, result.Trials.Count);
        var first = result.Trials[0];
        Assert.True(TrialStatus.Succeeded == first.Status, first.Reason);
        Assert.Null(first.PredictedSeconds); // nothing to predict from yet: it starts, and the study would cancel it at its seconds
        Assert.Contains("completed at rung 0", first.Reason);
        Assert.DoesNotContain("cost.seconds", first.Metrics.Validation.Keys);
        foreach (var refused in result.Trials.Skip(1))
        {
            Assert.Equal(TrialStatus.Failed, refused.Status);
            Assert.StartsWith(Study.NotStartedPrefix + "the cost model predicts 7.5 s for its first rung (3 epochs) from 1 earlier network trial (2.5 s per epoch), more than the ",
                refused.Reason);
            Assert.Equal(2.5 * (3 + 9), refused.PredictedSeconds!.Value, 6); // every rung it would have run
            Assert.InRange(refused.AllowedSeconds!.Value, 1, 6); // its share, or what the budget had left
        }
        // Only the first trial trained.
        Assert.Equal([3], log.Select(f => f.Epochs));
        Assert.Equal("budget", result.AutoML!.StopReason);
        Assert.NotNull(result.AutoML.SearchSeconds);
        Assert.InRange(first.AllowedSeconds!.Value, 1, 6);
    }

    [Fact]
    public async Task A_slow_starting_network_is_not_judged_below_the_fidelity_it_needs_and_wins()
    {
        // "fast" learns at once and plateaus at 0.7; "slow" (the default CNN on a hard image set) is near chance for its
        // first epochs and reaches 0.95 at its default 9. Before, the portfolio's slow default was judged at 1 epoch
        // against fast's first rung and stopped, and fast won.
        var log = new ConcurrentQueue<FitRecord>();
        var (train, validation, test) = Data();
        TrainerDefinition<TextExamples> Network(string name, double cost, Func<double, int, double> accuracy) =>
            new(name, ModelFamily.Torch, TaskKind.TextClassification,
                new SearchSpace(name, [new FloatDomain("quality", 0.5, 1), new IntDomain("maxEpochs", MaxEpochs, MaxEpochs)],
                    SearchPoint.Of(("quality", 1.0), ("maxEpochs", MaxEpochs)), RelativeCost: cost),
                values =>
                {
                    var p = new ParameterValues(values);
                    return new StandIn(name, ModelFamily.Torch, p.Double("quality") ?? 1, p.Int("maxEpochs") ?? MaxEpochs, p.Int("patience") ?? 3, log,
                        TimeSpan.Zero, accuracy: accuracy);
                });
        var result = await Search(log, train, validation, test, new AutoMLOptions
        {
            Task = TaskKind.TextClassification, Label = "label", MaxTrials = 14, BudgetSeconds = null, Seed = 5, Tuner = "random", Refit = false,
        }, trainers:
        [
            Network("fast", 5, (q, e) => q * 0.7 * (0.85 + 0.15 * e / MaxEpochs)),
            Network("slow", 10, (q, e) => q * (e < 3 ? 0.1 : 0.95 * (e - 2) / (MaxEpochs - 2))),
        ]);

        // Both defaults ran all their epochs, and the slow one won.
        var slowDefault = result.Trials.Single(t => t.Candidate == "slow" && Convert.ToDouble(t.Hyperparameters["quality"]) == 1.0);
        Assert.Equal(TrialStatus.Succeeded, slowDefault.Status);
        Assert.Equal([9.0], slowDefault.Rungs!.Select(r => r.Fidelity));
        Assert.Equal("slow", result.Best);
        Assert.True(result.AutoML!.Final!.Metrics.Validation["accuracy"] > 0.9, "the slow network's full-epoch score was selected");

        // Sampled slow networks are never judged below a third of the default's epochs, and only against their own kind:
        // the first one (no slow peer at its rung yet) goes on to all its epochs, although every fast network did better
        // at 3 epochs.
        Assert.DoesNotContain(log, f => f.Trainer == "slow" && f.Epochs < 3);
        var sampledSlow = result.Trials.Where(t => t.Candidate == "slow" && t.Number != slowDefault.Number).ToList();
        Assert.NotEmpty(sampledSlow);
        Assert.Equal([3.0, 9.0], sampledSlow[0].Rungs!.Select(r => r.Fidelity));
        Assert.True(result.Trials.Where(t => t.Candidate == "fast").All(f => f.Rungs!.Max(r => r.Value) > sampledSlow[0].Rungs![0].Value));
        Assert.All(sampledSlow.Where(t => t.Status == TrialStatus.Pruned), t => Assert.Contains("slow trials at that rung", t.Reason));
    }

    [Fact]
    public async Task A_named_portfolio_is_queued_alone_and_the_sampler_may_still_propose_the_rest()
    {
        var log = new ConcurrentQueue<FitRecord>();
        var (train, validation, test) = Data();
        var result = await Search(log, train, validation, test, new AutoMLOptions
        {
            Task = TaskKind.TextClassification, Label = "label", MaxTrials = 8, BudgetSeconds = null, Seed = 3, Tuner = "random", Refit = false,
        }, portfolio: ["network"]);

        // The cheaper linear trainer is not in the portfolio: the network's default runs first.
        Assert.Equal("network", result.Trials[0].Candidate);
        Assert.Equal(0.95, Convert.ToDouble(result.Trials[0].Hyperparameters["quality"]), 6);
        Assert.Contains(result.Trials.Skip(1), t => t.Candidate == "linear");
        Assert.Equal(["cnn", "resnet18-lbfgs"], ImageTrainers.Portfolio);
        Assert.All(TextTrainers.Portfolio, name => Assert.Contains(TextTrainers.All, t => t.Name == name));
    }

    [Fact]
    public void Network_portfolio_entries_are_the_candidates_strong_defaults()
    {
        // The search starts the CNN where `cnn` alone starts, not from a deliberately cheap network.
        var cnn = ImageTrainers.All.Single(t => t.Name == "cnn");
        var start = cnn.Create(TaskKind.ImageClassification, cnn.Space(TaskKind.ImageClassification).Initial).Hyperparameters;
        var defaults = ImageCandidates.Create("cnn").Hyperparameters;
        foreach (var key in new[] { "width", "depth", "maxEpochs", "learningRate", "batchSize", "augment", "labelSmoothing", "rotation", "flip", "dropout", "pooling" })
            Assert.Equal(Convert.ToString(defaults[key], System.Globalization.CultureInfo.InvariantCulture),
                Convert.ToString(start[key], System.Globalization.CultureInfo.InvariantCulture));
        var gru = TextTrainers.All.Single(t => t.Name == "gru");
        var gruStart = gru.Create(TaskKind.TextClassification, gru.Space(TaskKind.TextClassification).Initial).Hyperparameters;
        var gruDefaults = TextCandidates.Create("gru").Hyperparameters;
        foreach (var key in new[] { "width", "hidden", "maxEpochs", "maxTokens", "learningRate" })
            Assert.Equal(Convert.ToString(gruDefaults[key], System.Globalization.CultureInfo.InvariantCulture),
                Convert.ToString(gruStart[key], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<ExperimentResult> Search(ConcurrentQueue<FitRecord> log, TextExamples train, TextExamples validation, TextExamples test,
        AutoMLOptions options, TimeSpan epochDelay = default, IReadOnlyCollection<string>? portfolio = null, ManualClock? clock = null, bool withLinear = true,
        IReadOnlyList<TrainerDefinition<TextExamples>>? trainers = null)
    {
        var network = new TrainerDefinition<TextExamples>("network", ModelFamily.Torch, TaskKind.TextClassification,
            new SearchSpace("network", [new FloatDomain("quality", 0.1, 1), new IntDomain("maxEpochs", MaxEpochs, MaxEpochs)],
                SearchPoint.Of(("quality", 0.95), ("maxEpochs", MaxEpochs)), RelativeCost: 10),
            values =>
            {
                var p = new ParameterValues(values);
                return new StandIn("network", ModelFamily.Torch, p.Double("quality") ?? 0.95, p.Int("maxEpochs") ?? MaxEpochs, p.Int("patience") ?? 3, log, epochDelay, clock);
            });
        var linear = new TrainerDefinition<TextExamples>("linear", ModelFamily.MlNet, TaskKind.TextClassification,
            new SearchSpace("linear", [], SearchPoint.Of(), RelativeCost: 1), _ => new StandIn("linear", ModelFamily.MlNet, 0.5, MaxEpochs, 0, log, TimeSpan.Zero));
        trainers ??= withLinear ? [network, linear] : [network];
        var identity = new ExperimentResult { Name = "stand-ins", Dataset = new DatasetInfo { Name = "stand-ins", Sha256 = "00" } };
        return await AutoMLSearch.Holdout(identity, TaskKind.TextClassification, train, validation, test, trainers, (d, rows) => d.Subset(rows), options,
            (a, b) => a.Concat(b), portfolio).RunAsync();
    }

    private static (TextExamples Train, TextExamples Validation, TextExamples Test) Data()
    {
        string[] classes = ["a", "b", "c"];
        TextExamples Make(int rows, int offset) => new(Enumerable.Range(offset, rows).Select(i => $"text {i}").ToArray(),
            Enumerable.Range(offset, rows).Select(i => (float)(i % 3)).ToArray(), classes);
        return (Make(120, 0), Make(60, 1000), Make(60, 2000));
    }

    /// <summary>
    /// A stand-in whose accuracy on any examples is <paramref name="accuracy"/>(quality, epochs), by default
    /// quality x (0.5 + 0.5 x epochs / 9), logging every fit.
    /// </summary>
    private sealed class StandIn(string name, ModelFamily family, double quality, int epochs, int patience, ConcurrentQueue<FitRecord> log, TimeSpan epochDelay,
        ManualClock? clock = null, Func<double, int, double>? accuracy = null)
        : ICandidate<TextExamples>
    {
        public string Name => name;
        public ModelFamily Family => family;
        public string? SkipReason => null;
        public IReadOnlyDictionary<string, object?> Hyperparameters => new Dictionary<string, object?>
        {
            ["quality"] = quality, ["maxEpochs"] = epochs, ["patience"] = patience,
        };

        public async Task<ITrainedModel<TextExamples>> FitAsync(TextExamples train, TextExamples validation, TrainContext context, CancellationToken cancellationToken)
        {
            log.Enqueue(new FitRecord(name, quality, epochs, patience, train.Rows));
            for (var e = 0; e < epochs && epochDelay > TimeSpan.Zero; e++)
                if (clock is not null) clock.Advance(epochDelay);
                else await Task.Delay(epochDelay, cancellationToken);
            return new StandInModel(accuracy?.Invoke(quality, epochs) ?? quality * (0.5 + 0.5 * epochs / MaxEpochs));
        }
    }

    private sealed class StandInModel(double accuracy) : ITrainedModel<TextExamples>
    {
        public IReadOnlyList<Curve> Curves => [];

        // Right on a spread-out share of the rows (by a stride that visits every residue), wrong on the rest.
        public Predictions Predict(TextExamples data) => Predictions.FromProbabilities(Enumerable.Range(0, data.Rows).Select(i =>
        {
            var label = (int)data.Labels[i];
            var predicted = i * 37 % 100 < accuracy * 100 ? label : (label + 1) % 3;
            var p = new float[3];
            p[predicted] = 0.8f;
            p[(predicted + 1) % 3] = p[(predicted + 2) % 3] = 0.1f;
            return p;
        }).ToArray());

        public void Dispose() { }
    }

    /// <summary>A clock that moves only when a test advances it.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public TimeSpan Now => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
