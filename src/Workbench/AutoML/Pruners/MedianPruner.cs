namespace MLWorkbench.AutoML;

/// <summary>
/// Optuna's median rule over folds: after fold k, a trial stops when its mean loss over folds 0..k is worse (higher)
/// than the median of the same mean over the completed trials that scored at least k + 1 folds. It never prunes
/// before <see cref="MinTrials"/> such trials exist, within the first <see cref="WarmupFolds"/> folds, or at the last
/// fold (the fold count of the completed trials), where the trial is as good as finished. A NaN fold loss counts
/// as worse than any.
/// </summary>
internal sealed class MedianPruner : IPruner
{
    /// <summary>Creates the pruner.</summary>
    /// <param name="minTrials">Completed trials needed before any pruning (Optuna's n_startup_trials: 5).</param>
    /// <param name="warmupFolds">Folds always scored before pruning is considered (Optuna's n_warmup_steps: 0).</param>
    public MedianPruner(int minTrials = 5, int warmupFolds = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minTrials, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupFolds);
        MinTrials = minTrials;
        WarmupFolds = warmupFolds;
    }

    /// <summary>Completed trials needed before any pruning.</summary>
    public int MinTrials { get; }

    /// <summary>Folds always scored before pruning is considered.</summary>
    public int WarmupFolds { get; }

    /// <inheritdoc/>
    public string Name => MinTrials == 5 && WarmupFolds == 0 ? "median" : $"median(minTrials={MinTrials},warmupFolds={WarmupFolds})";

    /// <inheritdoc/>
    public bool ShouldPrune(IReadOnlyList<double> foldScores, IReadOnlyList<TrialOutcome> history)
    {
        ArgumentNullException.ThrowIfNull(foldScores);
        ArgumentNullException.ThrowIfNull(history);
        int folds = foldScores.Count;
        if (folds == 0 || folds <= WarmupFolds) return false;
        var peers = history
            .Where(t => t.State == TrialState.Complete && t.Score is not null && t.FoldScores.Count >= folds)
            .Select(t => t.FoldScores.Take(folds).Average())
            .Where(double.IsFinite)
            .ToList();
        if (peers.Count < MinTrials) return false;
        int lastFold = history.Where(t => t.State == TrialState.Complete).Max(t => t.FoldScores.Count);
        if (folds >= lastFold) return false;
        double mean = foldScores.Average();
        return double.IsNaN(mean) || mean > Median(peers);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
    }
}
