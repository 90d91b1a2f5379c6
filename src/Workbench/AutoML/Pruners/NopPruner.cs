namespace MLWorkbench.AutoML;

/// <summary>Never prunes: every trial runs all its folds (Optuna's NopPruner).</summary>
internal sealed class NopPruner : IPruner
{
    /// <inheritdoc/>
    public string Name => "none";

    /// <inheritdoc/>
    public bool ShouldPrune(IReadOnlyList<double> foldScores, IReadOnlyList<TrialOutcome> history) => false;
}
