namespace MLWorkbench.AutoML;

/// <summary>
/// Cost-frugal optimization after FLAML's CFO (Wu, Wang and Huang 2021, "Frugal Optimization for Cost-related
/// Hyperparameters"). Each trainer starts at its cheap <see cref="SearchSpace.Initial"/> point and moves by randomized
/// direct search in unit space (log scale where the domain is logarithmic): from the incumbent x it tries
/// x + step·u for a random unit direction u, and, when that is no better, x − step·u. The first step is
/// 0.1·√d in d dimensions (FLAML's); after max(2, d) such pairs without improvement it halves, and once it is
/// smaller than the finest resolution of the space the search restarts from a uniformly random point. So the search
/// moves from cheap configurations towards expensive ones only while they keep improving.
/// </summary>
/// <remarks>
/// <para>Trainer choice: every trainer's initial point first, cheapest <see cref="SearchSpace.RelativeCost"/> first;
/// then a trainer is drawn with probability proportional to 1 / ECI, FLAML's estimated cost for improvement, computed
/// from trial <see cref="TrialOutcome.Seconds"/>: max(time between the trainer's last two improvements, time spent
/// since its last one), and, for a trainer behind the best one, at least 2·gap / speed, where gap is its distance to
/// the best loss and speed its loss improvement per second so far. Cheap trainers that keep improving are chosen
/// most. A trainer without a completed trial (every one failed or was pruned) gets 2 × its seconds × its trials,
/// so it fades out without being banned. Unlike FLAML, a quarter of the probability is spread evenly over the
/// trainers, so that none starves on an early, misleading estimate (a trainer that starts cheap and bad but ends
/// best); on the synthetic problem of the tests this halves the mean regret after 60 trials.</para>
/// <para>No state is kept between calls: each call replays the history (in trial order) to rebuild every trainer's
/// incumbent, step and pending mirror move, so a resumed study, or a fresh instance, continues exactly where it
/// stopped. Failed and pruned trials count as no improvement.</para>
/// </remarks>
internal sealed class CfoSampler : ISampler
{
    private const double StepFraction = 0.1;
    private const double Shrink = 0.5;
    private const double Exploration = 0.25;
    private const double MinSeconds = 0.01;
    private const int Attempts = 16;

    /// <inheritdoc/>
    public string Name => "cfo";

    /// <summary>Failed move pairs after which the step shrinks, in <paramref name="dimensions"/> dimensions.</summary>
    internal static int Patience(int dimensions) => Math.Max(2, dimensions);

    /// <inheritdoc/>
    public TrialConfig Propose(JointSearchSpace space, IReadOnlyList<TrialOutcome> history, Random random)
    {
        SamplerChecks.Validate(space, random);
        var searches = space.Trainers.Select(t => new LocalSearch(t)).ToList();
        var byTrainer = new Dictionary<string, LocalSearch>(StringComparer.Ordinal);
        foreach (var search in searches) byTrainer.TryAdd(search.Space.Trainer, search);

        var tried = new HashSet<string>(StringComparer.Ordinal);
        foreach (var trial in history)
        {
            if (byTrainer.TryGetValue(trial.Config.Trainer, out var search)) search.Observe(trial, tried);
            tried.Add(trial.Config.Key);
        }
        // A trainer whose local search only finds configurations already tried (a small discrete space) passes its turn.
        var passed = new HashSet<LocalSearch>();
        while (ChooseTrainer(searches, passed, random) is { } next)
        {
            var config = next.Propose(tried, random);
            if (!tried.Contains(config.Key)) return config;
            passed.Add(next);
        }
        return RandomSampler.Draw(space, tried, random);
    }

    private static LocalSearch? ChooseTrainer(List<LocalSearch> searches, HashSet<LocalSearch> passed, Random random)
    {
        var untried = searches.Where(s => !s.Started).OrderBy(s => s.Space.RelativeCost).FirstOrDefault();
        if (untried is not null) return untried;
        var open = searches.Where(s => !s.Exhausted && !passed.Contains(s)).ToList();
        if (open.Count <= 1) return open.FirstOrDefault();

        double bestLoss = searches.Min(s => s.BestLoss);
        var weights = open.Select(s => 1 / s.EstimatedCostForImprovement(bestLoss)).ToArray();
        double total = weights.Sum();
        for (int i = 0; i < weights.Length; i++) weights[i] = (1 - Exploration) * weights[i] / total + Exploration / weights.Length;
        double draw = random.NextDouble();
        for (int i = 0; i < open.Count; i++)
        {
            draw -= weights[i];
            if (draw < 0) return open[i];
        }
        return open[^1];
    }

    /// <summary>One trainer's randomized direct search and its cost record, rebuilt from the history.</summary>
    private sealed class LocalSearch
    {
        private readonly int dimensions;
        private readonly double initialStep;
        private readonly double minStep;
        private double[]? incumbent;
        private double incumbentLoss;
        private double step;
        private int failedPairs;
        private double[]? pendingPlus;

        private int trials;
        private double seconds;
        private double bestLossBefore = double.PositiveInfinity;
        private double secondsAtBest;
        private double secondsAtBestBefore;

        public LocalSearch(SearchSpace space)
        {
            Space = space;
            dimensions = space.Parameters.Count;
            minStep = dimensions == 0 ? 0 : space.Parameters.Min(UnitScale.Resolution);
            double maxStep = Math.Sqrt(dimensions);
            initialStep = StepFraction * maxStep;
            if (initialStep < minStep) initialStep = Math.Min(2 * minStep, maxStep);
        }

        public SearchSpace Space { get; }

        /// <summary>Whether any trial of this trainer is in the history.</summary>
        public bool Started => trials > 0;

        /// <summary>A trainer without parameters has nothing left to try after its first trial.</summary>
        public bool Exhausted => Started && dimensions == 0;

        /// <summary>The best completed loss of this trainer, +∞ when none.</summary>
        public double BestLoss { get; private set; } = double.PositiveInfinity;

        public void Observe(TrialOutcome trial, IReadOnlySet<string> tried)
        {
            SkipTriedMirror(tried);
            RecordCost(trial);
            double loss = SamplerChecks.Scored(trial) ? trial.Score!.Value : double.PositiveInfinity;
            var point = UnitScale.Encode(Space, trial.Config);
            bool isMirror = pendingPlus is not null && trial.Config.Key == Mirror().Key;
            if (pendingPlus is not null && !isMirror)
            {
                pendingPlus = null; // a move this sampler would not have proposed ends the pair
                FailPair();
            }
            if (incumbent is null)
            {
                incumbent = point;
                incumbentLoss = loss;
                step = initialStep;
                failedPairs = 0;
                return;
            }
            if (loss < incumbentLoss)
            {
                incumbent = point;
                incumbentLoss = loss;
                failedPairs = 0;
                pendingPlus = null;
            }
            else if (isMirror)
            {
                pendingPlus = null;
                FailPair();
            }
            else pendingPlus = point;
        }

        public TrialConfig Propose(IReadOnlySet<string> tried, Random random)
        {
            SkipTriedMirror(tried);
            if (!Started) return UnitScale.Initial(Space);
            if (incumbent is null) return DrawUntried(tried, random); // restart
            if (pendingPlus is not null) return Mirror();
            for (int attempt = 0; attempt < Attempts; attempt++)
            {
                var direction = UnitDirection(random);
                var config = UnitScale.Decode(Space, [.. incumbent.Select((x, i) => x + step * direction[i])]);
                if (!tried.Contains(config.Key)) return config;
            }
            return DrawUntried(tried, random);
        }

        /// <summary>FLAML's ECI: the seconds this trainer is expected to need to beat <paramref name="bestLoss"/>.</summary>
        public double EstimatedCostForImprovement(double bestLoss)
        {
            if (!double.IsFinite(BestLoss)) return Math.Max(2 * seconds * trials, 1e-10);
            double cost = Math.Max(secondsAtBest - secondsAtBestBefore, seconds - secondsAtBest);
            double gap = BestLoss - bestLoss;
            if (gap > 0)
            {
                double gain = double.IsFinite(bestLossBefore) ? bestLossBefore - BestLoss : Math.Abs(BestLoss);
                double speed = gain / Math.Max(seconds - secondsAtBestBefore, MinSeconds);
                if (speed > 0) cost = Math.Max(cost, 2 * gap / speed);
            }
            return Math.Max(cost, 1e-10);
        }

        private void RecordCost(TrialOutcome trial)
        {
            trials++;
            seconds += Math.Max(trial.Seconds, MinSeconds);
            if (SamplerChecks.Scored(trial) && trial.Score!.Value < BestLoss)
            {
                bestLossBefore = BestLoss;
                BestLoss = trial.Score.Value;
                secondsAtBestBefore = secondsAtBest;
                secondsAtBest = seconds;
            }
        }

        // The mirror move x − step·u, computed from the plus move actually tried: 2x − (x + step·u).
        private TrialConfig Mirror() =>
            UnitScale.Decode(Space, [.. incumbent!.Select((x, i) => 2 * x - pendingPlus![i])]);

        // A mirror move that lands on a configuration already tried (clipped at a bound, or rounded) fails unseen.
        private void SkipTriedMirror(IReadOnlySet<string> tried)
        {
            if (pendingPlus is null || !tried.Contains(Mirror().Key)) return;
            pendingPlus = null;
            FailPair();
        }

        private void FailPair()
        {
            if (++failedPairs < Patience(dimensions)) return;
            failedPairs = 0;
            step *= Shrink;
            if (step >= minStep) return;
            incumbent = null;
            pendingPlus = null;
        }

        private TrialConfig DrawUntried(IReadOnlySet<string> tried, Random random)
        {
            var config = UnitScale.Sample(Space, random);
            for (int attempt = 1; attempt < Attempts && tried.Contains(config.Key); attempt++) config = UnitScale.Sample(Space, random);
            return config;
        }

        private double[] UnitDirection(Random random)
        {
            var u = new double[dimensions];
            double norm;
            do
            {
                for (int i = 0; i < dimensions; i++) u[i] = Gaussian.Next(random);
                norm = Math.Sqrt(u.Sum(x => x * x));
            }
            while (norm < 1e-12);
            for (int i = 0; i < dimensions; i++) u[i] /= norm;
            return u;
        }
    }
}
