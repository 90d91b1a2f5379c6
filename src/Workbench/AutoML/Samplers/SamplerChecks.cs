namespace MLWorkbench.AutoML;

/// <summary>Argument checks and history views that every sampler shares.</summary>
internal static class SamplerChecks
{
    /// <summary>Throws when there is nothing to search or no random source.</summary>
    public static void Validate(JointSearchSpace space, Random random)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(random);
        if (space.Trainers.Count == 0) throw new ArgumentException("The search space has no trainers.", nameof(space));
    }

    /// <summary>The keys of every configuration tried so far, so that none is proposed twice.</summary>
    public static HashSet<string> Keys(IReadOnlyList<TrialOutcome> history) =>
        new(history.Select(t => t.Config.Key), StringComparer.Ordinal);

    /// <summary>True when <paramref name="trial"/> finished every fold with a score.</summary>
    public static bool Scored(TrialOutcome trial) => trial.State == TrialState.Complete && trial.Score is double s && double.IsFinite(s);
}
