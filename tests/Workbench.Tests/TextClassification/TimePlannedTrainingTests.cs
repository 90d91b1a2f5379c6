using MLWorkbench.Evaluation;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Search;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;
using TorchSharp;
using static TorchSharp.torch;

namespace MLWorkbench.Tests.TextClassification;

/// <summary>
/// Networks under a time limit plan their steps from their measured rate and keep the model they have when the plan or
/// the limit ends training. The clock is a fake one that moves a second each time it is read, so that nothing depends on
/// how fast or busy the machine is: the plan is the same on every run.
/// </summary>
public sealed class TimePlannedTrainingTests(TextTestData data) : IClassFixture<TextTestData>
{
    private static readonly TorchTextOptions SlowGru = new() { MaxTokens = 16, Width = 16, Hidden = 16, MaxEpochs = 40, Patience = 40, LearningRate = 1e-2, BatchSize = 16, Dropout = 0.1 };

    [Fact]
    public async Task A_network_with_too_little_time_for_its_epochs_keeps_the_model_it_trained_and_says_what_it_planned()
    {
        var prepared = TextExperiment.Prepare("keywords", data.Keywords, null, "text", "label", 0.2, 0.2, 1, ComputeDevice.Cpu, ["gru"]);
        var clock = new TickingClock();
        var classes = prepared.Train.ClassNames.Count;
        // 40 epochs of 12 steps asked for; at the clock's 2 s per step (two reads) about a dozen fit in 30 s.
        var context = new TrainContext(TaskKind.TextClassification, classes, 1, ComputeDevice.Cpu)
        {
            TimeLimit = new TrainingTimeLimit(clock, clock.GetTimestamp(), 30, ScoredAfterwards: prepared.Validation.Rows),
        };
        using var model = await TorchTextCandidates.Torch(TextNetwork.Gru, SlowGru).FitAsync(prepared.Train, prepared.Validation, context, CancellationToken.None);

        var plan = Assert.IsAssignableFrom<ITrainingPlanReport>(model).Plan;
        Assert.NotNull(plan);
        Assert.Equal(40, plan.ConfiguredEpochs, 6);
        Assert.True(plan.PlannedEpochs < 2, $"planned {plan.PlannedEpochs} epochs in 30 s at 2 s per step");
        Assert.True(plan.TrainedExamples > 0 && plan.TrainedExamples <= plan.PlannedExamples + SlowGru.BatchSize, $"trained {plan.TrainedExamples}, planned {plan.PlannedExamples}");
        // Epochs count examples; a plan counts steps, and an epoch's last batch is smaller: within one batch of each other.
        Assert.True(plan.TrainedEpochs <= plan.PlannedEpochs + (double)SlowGru.BatchSize / prepared.Train.Rows, $"trained {plan.TrainedEpochs} epochs, planned {plan.PlannedEpochs}");
        Assert.NotNull(plan.SecondsPerStep);
        Assert.True(clock.Seconds < 40, $"the fit read the clock up to {clock.Seconds} s, past its 30 s");
        // The model it had is kept and predicts: one evaluation per epoch started, probabilities for every test text.
        Assert.Contains(model.Curves, c => c.Name == "validation accuracy" && c.Values.Count == (int)Math.Ceiling(plan.TrainedEpochs - 1e-9));
        var predictions = model.Predict(prepared.Test);
        Assert.Equal(prepared.Test.Rows, predictions.Probabilities!.Length);
        Assert.All(predictions.Probabilities, p => Assert.Equal(1.0, p.Sum(), 3));
    }

    [Fact]
    public async Task Without_a_limit_a_network_trains_its_epochs_and_reports_no_plan_unless_asked_for_a_fraction()
    {
        var prepared = TextExperiment.Prepare("keywords", data.Keywords, null, "text", "label", 0.2, 0.2, 1, ComputeDevice.Cpu, ["gru"]);
        var context = new TrainContext(TaskKind.TextClassification, prepared.Train.ClassNames.Count, 1, ComputeDevice.Cpu);
        using (var all = await TorchTextCandidates.Torch(TextNetwork.Gru, SlowGru with { MaxEpochs = 2 }).FitAsync(prepared.Train, prepared.Validation, context, CancellationToken.None))
        {
            Assert.Null(((ITrainingPlanReport)all).Plan);
            Assert.Equal(2, all.Curves.Single(c => c.Name == "validation accuracy").Values.Count);
        }
        // How a refit repeats a time-planned trial: a fraction of an epoch, the schedule over it.
        using var part = await TorchTextCandidates.Torch(TextNetwork.Gru, SlowGru with { MaxEpochs = 2, TrainEpochs = 1.5 }).FitAsync(prepared.Train, prepared.Validation, context, CancellationToken.None);
        var plan = ((ITrainingPlanReport)part).Plan!;
        Assert.Equal(1.5, plan.PlannedEpochs, 1);
        Assert.Equal(plan.PlannedExamples, plan.TrainedExamples, (double)SlowGru.BatchSize);
        Assert.False(plan.StoppedAtLimit);
    }

    [Fact]
    public async Task A_search_trial_under_a_short_share_completes_with_its_plan_in_results_and_the_refit_trains_as_long()
    {
        var options = new AutoMLOptions
        {
            Task = TaskKind.TextClassification, Label = "label", MaxTrials = 1, BudgetSeconds = 600, TrialTimeShare = 0.05, Seed = 7,
            Tuner = "random", Trainers = ["gru"], Clock = new TickingClock(),
        };
        var run = HoldoutSearches.Prepare("keywords", TaskKind.TextClassification, data.Keywords, null, null, "text", options);
        var result = await run(null, CancellationToken.None);

        var trial = Assert.Single(result.Trials);
        Assert.True(trial.Status == TrialStatus.Succeeded, $"{trial.Status}: {trial.Reason}");
        var plan = trial.Training;
        Assert.NotNull(plan);
        // gru's default is 15 epochs; 30 s of the fake clock fit a fraction of them, and the trial says so.
        Assert.Equal(15, plan.ConfiguredEpochs, 6);
        Assert.True(plan.PlannedEpochs < plan.ConfiguredEpochs);
        Assert.True(plan.TrainedExamples > 0);
        Assert.Contains("the model it had is kept", trial.Reason);
        Assert.Equal(plan.TrainedEpochs, trial.Rungs![^1].Fidelity, 6);
        Assert.DoesNotContain(trial.Metrics.Validation.Keys, k => k.StartsWith("plan.", StringComparison.Ordinal));
        // The refit trains as many epochs (a fraction, maybe) on the training and validation examples, with no limit.
        var final = result.AutoML!.Final!;
        Assert.NotNull(result.AutoML.Refit);
        if (Math.Abs(plan.TrainedEpochs - Math.Round(plan.TrainedEpochs)) > 1e-9)
            Assert.Equal(plan.TrainedEpochs, Convert.ToDouble(final.Hyperparameters["trainEpochs"]), 6);
        Assert.True(final.Metrics.Test.ContainsKey("accuracy"));
    }

    [Fact]
    public void The_pair_fine_tuning_loop_plans_its_steps_and_keeps_the_best_weights_it_reached()
    {
        // The loop the MiniLM bi- and cross-encoders share, on a one-weight network: y = w·x fitted to pairs scored 2·x.
        var rows = 64;
        var first = Enumerable.Range(0, rows).Select(i => (i % 8).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var pairs = new SentencePairs(first, first, first.Select(f => float.Parse(f, System.Globalization.CultureInfo.InvariantCulture) / 7f).ToArray(), new ScoreRange(0, 1));
        using var network = nn.Linear(1, 1, hasBias: false);
        Tensor Inputs(SentencePairs d, IEnumerable<int> r) => tensor(r.Select(i => float.Parse(d.First[i], System.Globalization.CultureInfo.InvariantCulture) / 7f).ToArray()).view(-1, 1);
        var clock = new TickingClock();
        var options = new MiniLmFineTuneOptions { Epochs = 30, BatchSize = 8, LearningRate = 0.05, Patience = 30 };
        var plan = new StepPlan(new TrainingTimeLimit(clock, clock.GetTimestamp(), 40, ScoredAfterwards: 0), options.Epochs, null, rows);
        var curves = MiniLmFineTuning.Train(network,
            (d, r) => nn.functional.mse_loss(network.call(Inputs(d, r)).view(-1), tensor(r.Select(i => d.Labels[i]).ToArray())),
            d => network.call(Inputs(d, Enumerable.Range(0, d.Rows))).view(-1).data<float>().ToArray(),
            pairs, pairs, options, 1, "mse", TrainingPrecision.Float32, CPU, CancellationToken.None, plan);

        var report = plan.Report()!;
        Assert.Equal(30, report.ConfiguredEpochs, 6);
        Assert.True(report.PlannedEpochs < 3, $"planned {report.PlannedEpochs} epochs in 40 s");
        Assert.True(report.TrainedExamples > 0 && report.TrainedExamples <= report.PlannedExamples + options.BatchSize);
        Assert.True(clock.Seconds < 50, $"the loop read the clock up to {clock.Seconds} s, past its 40 s");
        // One evaluation before training, one at each planned epoch's end (the last one where the plan ended it).
        Assert.True(curves.Single(c => c.Name == "validation spearman").Values.Count >= 2);
    }
}
