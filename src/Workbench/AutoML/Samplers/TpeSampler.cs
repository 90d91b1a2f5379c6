namespace MLWorkbench.AutoML;

/// <summary>
/// Tree-structured Parzen Estimator (Bergstra et al. 2011) with Optuna's defaults: random configurations for the
/// first <see cref="StartupTrials"/> trials; then the trials are split into the best γ(n) = min(⌈0.1·n⌉, 25) and
/// the rest, a Parzen estimator l is fitted to the good ones and g to the others, and of
/// <see cref="Candidates"/> draws from l the one with the highest l/g wins. The trainer is chosen first, as a
/// categorical parameter over all trials; its parameters are then chosen one by one (independently, in unit space,
/// log scale where the domain is logarithmic) from that trainer's trials only, split by their own γ.
/// </summary>
/// <remarks>
/// Completed trials rank by loss, pruned ones after them (more folds first), failed ones last, so failures always
/// count as bad. Nothing is kept between calls, so a resumed study proposes exactly what an uninterrupted one would.
/// </remarks>
internal sealed class TpeSampler : ISampler
{
    private const int Attempts = 16;

    /// <summary>Creates the sampler.</summary>
    /// <param name="startupTrials">Random trials before the model is used (Optuna: 10).</param>
    /// <param name="candidates">Draws from l compared per choice (Optuna: 24).</param>
    public TpeSampler(int startupTrials = 10, int candidates = 24)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startupTrials);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        StartupTrials = startupTrials;
        Candidates = candidates;
    }

    /// <summary>Random trials before the model is used.</summary>
    public int StartupTrials { get; }

    /// <summary>Draws from the good-trial estimator compared per choice.</summary>
    public int Candidates { get; }

    /// <inheritdoc/>
    public string Name => "tpe";

    /// <summary>Optuna's γ: how many of <paramref name="n"/> trials count as good.</summary>
    internal static int Good(int n) => Math.Min((int)Math.Ceiling(0.1 * n), 25);

    /// <inheritdoc/>
    public TrialConfig Propose(JointSearchSpace space, IReadOnlyList<TrialOutcome> history, Random random)
    {
        SamplerChecks.Validate(space, random);
        var tried = SamplerChecks.Keys(history);
        if (history.Count < StartupTrials) return RandomSampler.Draw(space, tried, random);

        var names = space.Trainers.Select(t => t.Trainer).ToList();
        var (good, bad) = Split(history.Where(t => names.Contains(t.Config.Trainer)).ToList());
        int trainer = Choose(new CategoricalParzen([.. good.Select(t => names.IndexOf(t.Config.Trainer))], names.Count),
            new CategoricalParzen([.. bad.Select(t => names.IndexOf(t.Config.Trainer))], names.Count), random);
        var trainerSpace = space.Trainers[trainer];

        var own = history.Where(t => t.Config.Trainer == trainerSpace.Trainer).ToList();
        if (own.Count == 0) return Untried(trainerSpace, tried, random);
        var (ownGood, ownBad) = Split(own);
        var goodPoints = ownGood.Select(t => UnitScale.Encode(trainerSpace, t.Config)).ToList();
        var badPoints = ownBad.Select(t => UnitScale.Encode(trainerSpace, t.Config)).ToList();
        var parameters = trainerSpace.Parameters.Select((domain, j) => domain is ChoiceDomain c
            ? new Estimators(null, null, Categorical(goodPoints, j, c), Categorical(badPoints, j, c), c.Choices.Count)
            : new Estimators(new NumericParzen([.. goodPoints.Select(p => p[j])]), new NumericParzen([.. badPoints.Select(p => p[j])]), null, null, 0)).ToList();
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            var config = UnitScale.Decode(trainerSpace, [.. parameters.Select(e => e.GoodNumeric is not null
                ? Choose(e.GoodNumeric, e.BadNumeric!, random)
                : (Choose(e.GoodChoice!, e.BadChoice!, random) + 0.5) / e.Choices)]);
            if (!tried.Contains(config.Key)) return config;
        }
        return Untried(trainerSpace, tried, random);
    }

    /// <summary>The l and g estimators of one parameter: numeric ones, or categorical ones over so many choices.</summary>
    private sealed record Estimators(NumericParzen? GoodNumeric, NumericParzen? BadNumeric,
        CategoricalParzen? GoodChoice, CategoricalParzen? BadChoice, int Choices);

    /// <summary>The γ best trials and the rest, each in trial order.</summary>
    private static (List<TrialOutcome> Good, List<TrialOutcome> Bad) Split(List<TrialOutcome> trials)
    {
        var ranked = trials
            .OrderBy(t => SamplerChecks.Scored(t) ? 0 : t.State == TrialState.Pruned && t.Score is double s && double.IsFinite(s) ? 1 : 2)
            .ThenByDescending(t => t.State == TrialState.Pruned ? t.FoldScores.Count : 0)
            .ThenBy(t => t.Score is double s && double.IsFinite(s) ? s : double.PositiveInfinity)
            .ThenBy(t => t.Number)
            .ToList();
        int good = Good(trials.Count);
        return ([.. ranked.Take(good).OrderBy(t => t.Number)], [.. ranked.Skip(good).OrderBy(t => t.Number)]);
    }

    private static CategoricalParzen Categorical(List<double[]> points, int j, ChoiceDomain domain) =>
        new([.. points.Select(p => Math.Min(domain.Choices.Count - 1, (int)(p[j] * domain.Choices.Count)))], domain.Choices.Count);

    private int Choose(CategoricalParzen good, CategoricalParzen bad, Random random)
    {
        int best = -1;
        double bestScore = double.NegativeInfinity;
        for (int i = 0; i < Candidates; i++)
        {
            int x = good.Sample(random);
            double score = good.LogPdf(x) - bad.LogPdf(x);
            if (best < 0 || score > bestScore) (best, bestScore) = (x, score);
        }
        return best;
    }

    private double Choose(NumericParzen good, NumericParzen bad, Random random)
    {
        double best = double.NaN, bestScore = double.NegativeInfinity;
        for (int i = 0; i < Candidates; i++)
        {
            double x = good.Sample(random);
            double score = good.LogPdf(x) - bad.LogPdf(x);
            if (double.IsNaN(best) || score > bestScore) (best, bestScore) = (x, score);
        }
        return best;
    }

    private static TrialConfig Untried(SearchSpace space, IReadOnlySet<string> tried, Random random)
    {
        var config = UnitScale.Sample(space, random);
        for (int attempt = 1; attempt < Attempts && tried.Contains(config.Key); attempt++) config = UnitScale.Sample(space, random);
        return config;
    }
}
