using MLWorkbench.AutoML;

namespace MLWorkbench.Tests.AutoML;

public class PrunerTests
{
    private static TrialOutcome Complete(int number, params double[] folds) =>
        new(number, new TrialConfig("linear", new Dictionary<string, object> { ["l2"] = 0.1 * (number + 1) }),
            TrialState.Complete, folds.Average(), folds, 1);

    /// <summary>Five finished trials of five folds each, with mean fold losses from 0.30 to 0.34.</summary>
    private static List<TrialOutcome> FiveFinished() =>
        [.. Enumerable.Range(0, 5).Select(i => Complete(i, 0.30 + 0.01 * i, 0.31 + 0.01 * i, 0.29 + 0.01 * i, 0.30 + 0.01 * i, 0.30 + 0.01 * i))];

    [Fact]
    public void Median_pruner_stops_a_clearly_bad_trial_and_keeps_a_good_one()
    {
        var pruner = new MedianPruner();
        var history = FiveFinished();
        Assert.True(pruner.ShouldPrune([0.90], history));
        Assert.True(pruner.ShouldPrune([0.25, 0.90], history)); // the mean over folds so far (0.575) is compared
        Assert.False(pruner.ShouldPrune([0.20], history));
        Assert.False(pruner.ShouldPrune([0.20, 0.25, 0.31], history));
    }

    [Fact]
    public void Median_pruner_waits_for_enough_finished_trials()
    {
        var pruner = new MedianPruner(minTrials: 5);
        var history = FiveFinished().Take(4).ToList();
        // A failed and a pruned trial are not finished peers.
        history.Add(new TrialOutcome(4, new TrialConfig("linear", new Dictionary<string, object>()), TrialState.Failed, null, [], 1));
        history.Add(new TrialOutcome(5, new TrialConfig("linear", new Dictionary<string, object>()), TrialState.Pruned, 0.1, [0.1], 1));
        Assert.False(pruner.ShouldPrune([10.0], history));
        Assert.False(pruner.ShouldPrune([10.0], []));
        history.Add(Complete(6, 0.3, 0.3, 0.3, 0.3, 0.3));
        Assert.True(pruner.ShouldPrune([10.0], history));
    }

    [Fact]
    public void Median_pruner_never_prunes_at_the_last_fold_or_within_the_warmup()
    {
        var history = FiveFinished();
        Assert.False(new MedianPruner().ShouldPrune([0.9, 0.9, 0.9, 0.9, 0.9], history));
        Assert.True(new MedianPruner().ShouldPrune([0.9, 0.9, 0.9, 0.9], history));
        Assert.False(new MedianPruner(warmupFolds: 2).ShouldPrune([0.9, 0.9], history));
        Assert.True(new MedianPruner(warmupFolds: 2).ShouldPrune([0.9, 0.9, 0.9], history));
    }

    [Fact]
    public void Median_pruner_compares_only_with_trials_that_scored_as_many_folds()
    {
        // Peers with a single fold cannot judge a trial after its second fold.
        var history = Enumerable.Range(0, 5).Select(i => Complete(i, 0.3)).ToList();
        Assert.True(new MedianPruner().ShouldPrune([0.9], history.Concat(FiveFinished()).ToList()));
        Assert.False(new MedianPruner().ShouldPrune([0.9], history)); // one fold is also their last fold
        Assert.False(new MedianPruner().ShouldPrune([0.9, 0.9], history.Concat(FiveFinished().Take(4)).ToList()));
    }

    [Fact]
    public void Nop_pruner_never_prunes()
    {
        Assert.False(new NopPruner().ShouldPrune([100.0], FiveFinished()));
    }
}
