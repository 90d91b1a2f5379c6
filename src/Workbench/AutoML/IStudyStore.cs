namespace MLWorkbench.AutoML;

/// <summary>
/// Where a study keeps its trials as they finish, so that a killed run resumes without redoing or losing any,
/// and so that several workers can share one study. SQLite now (<c>SqliteStudyStore</c>); a server
/// database can implement the same interface later.
/// </summary>
public interface IStudyStore : IDisposable
{
    /// <summary>
    /// Opens the study called <paramref name="name"/>, creating it when new. <paramref name="fingerprint"/>
    /// identifies what the study optimizes (data hash, task, label, folds, seed, sampler); opening an existing
    /// study with a different fingerprint throws <see cref="WorkbenchInputException"/>, since its trials would not
    /// be comparable.
    /// </summary>
    Task OpenAsync(string name, string fingerprint, CancellationToken cancellationToken = default);

    /// <summary>Every finished trial of the open study, in trial-number order.</summary>
    Task<IReadOnlyList<StoredTrial>> LoadTrialsAsync(CancellationToken cancellationToken = default);

    /// <summary>Records a finished trial. Saving a number that exists replaces it (a retried trial).</summary>
    Task SaveTrialAsync(StoredTrial trial, CancellationToken cancellationToken = default);
}

/// <summary>A finished trial as stored.</summary>
/// <param name="Number">Zero-based trial number.</param>
/// <param name="Config">What was tried.</param>
/// <param name="State">How it ended.</param>
/// <param name="Score">Mean fold loss (null when failed).</param>
/// <param name="FoldMetrics">Every metric of every scored fold, in fold order.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
/// <param name="Reason">Why it failed or was pruned.</param>
/// <param name="FinishedUtc">When it finished.</param>
public sealed record StoredTrial(int Number, TrialConfig Config, TrialState State, double? Score,
    IReadOnlyList<IReadOnlyDictionary<string, double>> FoldMetrics, double Seconds, string? Reason, DateTimeOffset FinishedUtc);
