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
/// <para>Completed trials rank by loss, pruned ones after them (more folds first), failed ones last, so failures always
/// count as bad. Nothing is kept between calls, so a resumed study proposes exactly what an uninterrupted one would.</para>
/// <para>Running trials (other workers', or the others of a parallel batch) follow Optuna's constant-liar rule
/// (<c>TPESampler(constant_liar=True)</c>, on by default): each counts as finished with the worst loss, or with
/// <see cref="LiarLoss"/> when one is given, so it joins the bad trials and the next proposal moves away from it;
/// without the rule, workers that start together fit the same model and propose near-duplicates of one another.</para>
/// </remarks>
internal sealed class TpeSampler : ISampler
{
    private const int Attempts = 16;

    /// <summary>Creates the sampler.</summary>
    /// <param name="startupTrials">Random trials before the model is used (Optuna: 10).</param>
    /// <param name="candidates">Draws from l compared per choice (Optuna: 24).</param>
    /// <param name="constantLiar">Running trials count as finished with <paramref name="liarLoss"/> (default true); false: they are left out of the model (Optuna's default).</param>
    /// <param name="liarLoss">The loss a running trial is taken to have (default null: the worst, like a failed trial).</param>
    public TpeSampler(int startupTrials = 10, int candidates = 24, bool constantLiar = true, double? liarLoss = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startupTrials);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        if (liarLoss is { } lie && !double.IsFinite(lie)) throw new ArgumentOutOfRangeException(nameof(liarLoss), lie, "The liar's loss must be a finite number (null: the worst).");
        StartupTrials = startupTrials;
        Candidates = candidates;
        ConstantLiar = constantLiar;
        LiarLoss = liarLoss;
    }

    /// <summary>Random trials before the model is used.</summary>
    public int StartupTrials { get; }

    /// <summary>Draws from the good-trial estimator compared per choice.</summary>
    public int Candidates { get; }

    /// <summary>True when running trials count as finished with <see cref="LiarLoss"/> (the constant-liar rule).</summary>
    public bool ConstantLiar { get; }

    /// <summary>The loss the constant liar gives a running trial; null: the worst (it ranks with the failed trials).</summary>
    public double? LiarLoss { get; }

    /// <inheritdoc/>
    /// <remarks><c>tpe</c> with the default liar; other settings are named, since they change what a parallel search proposes.</remarks>
    public string Name => (ConstantLiar, LiarLoss) switch
    {
        (true, null) => "tpe",
        (false, _) => "tpe(constant-liar=off)",
        (true, { } lie) => FormattableString.Invariant($"tpe(liar-loss={lie:R})"),
    };

    /// <summary>Optuna's γ: how many of <paramref name="n"/> trials count as good.</summary>
    internal static int Good(int n) => Math.Min((int)Math.Ceiling(0.1 * n), 25);

    /// <inheritdoc/>
    public TrialConfig Propose(JointSearchSpace space, IReadOnlyList<TrialOutcome> history, Random random)
    {
        SamplerChecks.Validate(space, random);
        // Running configurations are never proposed again, liar or not; the liar decides whether the model sees them.
        var tried = SamplerChecks.Keys(history);
        history = Lie(history);
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

    /// <summary>
    /// The trials the model is fitted to: the finished ones, and the running ones as the liar says they ended (with the
    /// worst loss they rank with the failed trials; with <see cref="LiarLoss"/>, as complete with that loss on every step).
    /// </summary>
    private IReadOnlyList<TrialOutcome> Lie(IReadOnlyList<TrialOutcome> history)
    {
        if (!history.Any(t => t.State is TrialState.Running or TrialState.Queued)) return history;
        return [.. history.Where(t => t.State is not (TrialState.Running or TrialState.Queued) || ConstantLiar && t.State == TrialState.Running)
            .Select(t => t.State != TrialState.Running ? t
                : LiarLoss is { } lie ? t with { State = TrialState.Complete, Score = lie, FoldScores = [lie] }
                : t with { State = TrialState.Failed, Score = null })];
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
