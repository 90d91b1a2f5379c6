namespace MLWorkbench.AutoML;

/// <summary>
/// Random search: a trainer drawn uniformly, then each parameter drawn uniformly on its scale (log-uniform where
/// the domain is logarithmic, every integer and every choice equally likely). The baseline every other sampler must beat.
/// </summary>
internal sealed class RandomSampler : ISampler
{
    private const int Attempts = 16;

    /// <inheritdoc/>
    public string Name => "random";

    /// <inheritdoc/>
    public TrialConfig Propose(JointSearchSpace space, IReadOnlyList<TrialOutcome> history, Random random)
    {
        SamplerChecks.Validate(space, random);
        return Draw(space, SamplerChecks.Keys(history), random);
    }

    /// <summary>A random configuration not in <paramref name="tried"/>, unless a few draws in a row all were.</summary>
    internal static TrialConfig Draw(JointSearchSpace space, IReadOnlySet<string> tried, Random random)
    {
        TrialConfig config;
        int attempt = 0;
        do config = UnitScale.Sample(space.Trainers[random.Next(space.Trainers.Count)], random);
        while (tried.Contains(config.Key) && ++attempt < Attempts);
        return config;
    }
}
