namespace MLWorkbench.AutoML;

/// <summary>Reported when a trial starts (<see cref="Status"/> null) and when it ends.</summary>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="Candidate">The candidate's name.</param>
/// <param name="Index">Zero-based index of the trial in the experiment.</param>
/// <param name="Count">Number of trials in the experiment.</param>
/// <param name="Status">Null at the start; <c>succeeded</c>, <c>failed</c> or <c>skipped</c> at the end.</param>
public sealed record TrialProgress(string Experiment, string Candidate, int Index, int Count, string? Status);
