using MLWorkbench.AutoML;
using Xunit.Abstractions;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.AutoML;

public class SamplerTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names() => [.. Samplers.Names];

    [Theory]
    [MemberData(nameof(Names))]
    public void Proposals_stay_inside_their_domains_with_the_right_types(string name)
    {
        var space = Problem.Space;
        foreach (var trial in Problem.Run(Samplers.Create(name), seed: 3, trials: 80))
        {
            var trainer = space.For(trial.Config.Trainer);
            Assert.Equal(trainer.Parameters.Select(p => p.Name).Order(), trial.Config.Parameters.Keys.Order());
            foreach (var domain in trainer.Parameters)
            {
                var value = trial.Config.Parameters[domain.Name];
                switch (domain)
                {
                    case FloatDomain f:
                        var d = Assert.IsType<double>(value);
                        Assert.InRange(d, f.Low, f.High);
                        break;
                    case IntDomain i:
                        Assert.InRange(Assert.IsType<int>(value), i.Low, i.High);
                        break;
                    case ChoiceDomain c:
                        Assert.Contains(Assert.IsType<string>(value), c.Choices);
                        break;
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void The_same_seed_gives_the_same_sequence_and_another_seed_a_different_one(string name)
    {
        var first = Problem.Run(Samplers.Create(name), seed: 1, trials: 40).Select(t => t.Config.Key).ToList();
        var again = Problem.Run(Samplers.Create(name), seed: 1, trials: 40).Select(t => t.Config.Key).ToList();
        var other = Problem.Run(Samplers.Create(name), seed: 2, trials: 40).Select(t => t.Config.Key).ToList();
        Assert.Equal(first, again);
        Assert.Equal(first.Count, first.Distinct().Count());
        if (name == "grid") Assert.Equal(first, other); // the grid does not need chance until it is exhausted
        else Assert.NotEqual(first, other);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_fresh_sampler_resumed_from_the_history_proposes_what_the_uninterrupted_run_did(string name)
    {
        var history = Problem.Run(Samplers.Create(name), seed: 5, trials: 50, failEvery: 7);
        for (int n = 0; n < history.Count; n++)
        {
            var resumed = Samplers.Create(name).Propose(Problem.Space, history.Take(n).ToList(), Problem.RandomFor(5, n));
            Assert.Equal(history[n].Config.Key, resumed.Key);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_history_read_back_from_storage_with_other_number_types_gives_the_same_proposal(string name)
    {
        var history = Problem.Run(Samplers.Create(name), seed: 8, trials: 30);
        // A store may give integers back as long and choices as text; samplers must read them the same way.
        var stored = history.Select(t => t with
        {
            Config = t.Config with { Parameters = t.Config.Parameters.ToDictionary(p => p.Key, p => p.Value is int i ? (long)i : p.Value) },
        }).ToList();
        var fresh = Samplers.Create(name).Propose(Problem.Space, history, Problem.RandomFor(8, 30));
        var fromStore = Samplers.Create(name).Propose(Problem.Space, stored, Problem.RandomFor(8, 30));
        Assert.Equal(fresh.Key, fromStore.Key);
    }

    [Fact]
    public void Tpe_and_cfo_find_a_clearly_better_configuration_than_random_search_in_60_trials()
    {
        // Regret = best loss after 60 trials minus the optimum, over 10 seeds. Medians, because CFO has a heavy tail:
        // now and then its trainer choice settles on a trainer that led early ("net") and misses the best one.
        int[] seeds = [.. Enumerable.Range(1, 10)];
        List<double> Regrets(string name) =>
            [.. seeds.Select(s => Problem.Run(Samplers.Create(name), s, trials: 60).Min(t => t.Score!.Value) - Problem.Optimum).Order()];
        static double Median(List<double> sorted) => 0.5 * (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]);
        var random = Regrets("random");
        var tpe = Regrets("tpe");
        var cfo = Regrets("cfo");
        output.WriteLine($"median (mean) regret after 60 trials over 10 seeds: random {Median(random):0.0000} ({random.Average():0.0000}), " +
            $"tpe {Median(tpe):0.0000} ({tpe.Average():0.0000}), cfo {Median(cfo):0.0000} ({cfo.Average():0.0000})");
        Assert.True(Median(tpe) < 0.5 * Median(random), $"TPE median regret {Median(tpe):0.0000}, random {Median(random):0.0000}");
        Assert.True(Median(cfo) < 0.5 * Median(random), $"CFO median regret {Median(cfo):0.0000}, random {Median(random):0.0000}");
        Assert.True(tpe.Average() < random.Average() && cfo.Average() < random.Average(), "mean regret above random's");
    }

    [Fact]
    public void Cfo_starts_at_the_initial_points_cheapest_trainer_first_then_moves_locally()
    {
        var history = Problem.Run(new CfoSampler(), seed: 4, trials: 12);
        var byCost = Problem.Space.Trainers.OrderBy(t => t.RelativeCost).ToList();
        for (int i = 0; i < byCost.Count; i++)
        {
            Assert.Equal(byCost[i].Trainer, history[i].Config.Trainer);
            foreach (var (parameter, value) in byCost[i].Initial) Assert.Equal(value, history[i].Config.Parameters[parameter]);
        }
        // The local search then stays near the cheap start: the second "trees" trial still has few trees.
        var trees = history.Where(t => t.Config.Trainer == "trees").Skip(1).FirstOrDefault();
        if (trees is not null) Assert.True((int)trees.Config.Parameters["trees"] < 64, trees.Config.Key);
    }

    [Fact]
    public void Cfo_spends_few_trials_on_a_trainer_that_always_fails()
    {
        var history = Problem.Run(new CfoSampler(), seed: 6, trials: 60, failTrainer: "net");
        int failing = history.Count(t => t.Config.Trainer == "net");
        output.WriteLine(string.Join(", ", history.GroupBy(t => t.Config.Trainer).Select(g => $"{g.Key}: {g.Count()}")));
        Assert.InRange(failing, 1, 12); // a third would be 20
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_tiny_discrete_space_is_searched_without_errors_and_resumes_exactly(string name)
    {
        // Few distinct points: CFO's steps fall below the resolution and restart; every sampler must cope with repeats.
        var tiny = new JointSearchSpace(
        [
            new SearchSpace("k", [new IntDomain("k", 1, 5)], new Dictionary<string, object> { ["k"] = 1 }),
            new SearchSpace("pick", [new ChoiceDomain("c", ["x", "y"])], new Dictionary<string, object> { ["c"] = "x" }, RelativeCost: 2),
            new SearchSpace("fixed", [], new Dictionary<string, object>(), RelativeCost: 3),
        ]);
        static double Loss(TrialConfig c) => c.Trainer switch
        {
            "k" => Math.Abs((int)c.Parameters["k"] - 4),
            "pick" => (string)c.Parameters["c"] == "y" ? 0.5 : 2,
            _ => 1.5,
        };
        var history = Problem.Run(Samplers.Create(name), seed: 9, trials: 30, space: tiny, loss: Loss);
        Assert.Equal(8, history.Select(t => t.Config.Key).Distinct().Count());
        if (name is "grid" or "cfo") Assert.Equal(8, history.Take(8).Select(t => t.Config.Key).Distinct().Count());
        for (int n = 0; n < history.Count; n++)
            Assert.Equal(history[n].Config.Key, Samplers.Create(name).Propose(tiny, history.Take(n).ToList(), Problem.RandomFor(9, n)).Key);
    }

    [Fact]
    public void Tpe_learns_to_avoid_a_trainer_that_always_fails()
    {
        var history = Problem.Run(new TpeSampler(), seed: 6, trials: 60, failTrainer: "net");
        int failingAfterStartup = history.Skip(10).Count(t => t.Config.Trainer == "net");
        output.WriteLine($"net after startup: {failingAfterStartup} of 50");
        Assert.True(failingAfterStartup < 50 / 3, $"{failingAfterStartup} of 50");
    }

    [Fact]
    public void Tpe_with_the_constant_liar_proposes_fewer_near_duplicates_among_concurrent_proposals_than_without()
    {
        var space = new JointSearchSpace([new SearchSpace("toy", [new FloatDomain("a", 0, 1), new FloatDomain("b", 0, 1)],
            new Dictionary<string, object> { ["a"] = 0.5, ["b"] = 0.5 })]);
        static TrialConfig Point(double a, double b) => new("toy", new Dictionary<string, object> { ["a"] = a, ["b"] = b });
        // 16 workers ask at once after 30 finished trials (loss: distance to (0.3, 0.7)); each proposal sees the earlier
        // ones as running, as the study and the shared store show them. Pairs closer than 0.03 are near-duplicates.
        (int Pairs, double Spread) Concurrent(TpeSampler sampler)
        {
            var (pairs, spread) = (0, 0.0);
            for (var seed = 0; seed < 10; seed++)
            {
                var random = new Random(seed);
                var history = new List<TrialOutcome>();
                for (var i = 0; i < 30; i++)
                {
                    var (a, b) = (random.NextDouble(), random.NextDouble());
                    var loss = Math.Sqrt((a - 0.3) * (a - 0.3) + (b - 0.7) * (b - 0.7));
                    history.Add(new TrialOutcome(i, Point(a, b), TrialState.Complete, loss, [loss], 1));
                }
                var proposed = new List<(double A, double B)>();
                for (var w = 0; w < 16; w++)
                {
                    var config = sampler.Propose(space, history, Problem.RandomFor(seed, 30 + w));
                    history.Add(new TrialOutcome(30 + w, config, TrialState.Running, null, [], 0));
                    proposed.Add(((double)config.Parameters["a"], (double)config.Parameters["b"]));
                }
                for (var i = 0; i < proposed.Count; i++)
                    for (var j = i + 1; j < proposed.Count; j++)
                        if (Math.Sqrt(Math.Pow(proposed[i].A - proposed[j].A, 2) + Math.Pow(proposed[i].B - proposed[j].B, 2)) < 0.03) pairs++;
                spread += proposed.Average(p => Math.Sqrt(Math.Pow(p.A - proposed.Average(q => q.A), 2) + Math.Pow(p.B - proposed.Average(q => q.B), 2))) / 10;
            }
            return (pairs, spread);
        }

        var liar = Concurrent(new TpeSampler());
        var without = Concurrent(new TpeSampler(constantLiar: false));
        output.WriteLine($"near-duplicate pairs of 10 x 16 concurrent proposals: liar {liar.Pairs}, without {without.Pairs}; " +
            $"mean distance to their centre: liar {liar.Spread:0.000}, without {without.Spread:0.000}");
        Assert.True(liar.Pairs * 2 < without.Pairs, $"liar {liar.Pairs} near-duplicates, without {without.Pairs}");
        Assert.True(liar.Spread > without.Spread);
    }

    [Theory]
    [InlineData("random")]
    [InlineData("cfo")]
    [InlineData("tpe")]
    public void Concurrent_proposals_never_repeat_a_running_configuration(string name)
    {
        // 12 workers ask at once after 20 finished trials: each sees the earlier proposals as running.
        var history = Problem.Run(Samplers.Create(name), seed: 7, trials: 20).ToList();
        for (var w = 0; w < 12; w++)
        {
            var config = Samplers.Create(name).Propose(Problem.Space, history, Problem.RandomFor(7, 20 + w));
            Assert.DoesNotContain(config.Key, history.Select(t => t.Config.Key));
            history.Add(new TrialOutcome(20 + w, config, TrialState.Running, null, [], 0));
        }
    }

    [Fact]
    public void Tpe_names_a_liar_other_than_the_default_and_without_running_trials_the_liar_changes_nothing()
    {
        Assert.Equal(("tpe", "tpe(constant-liar=off)", "tpe(liar-loss=0.25)"),
            (new TpeSampler().Name, new TpeSampler(constantLiar: false).Name, new TpeSampler(liarLoss: 0.25).Name));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TpeSampler(liarLoss: double.NaN));
        var history = Problem.Run(new TpeSampler(), seed: 4, trials: 30);
        Assert.Equal(new TpeSampler().Propose(Problem.Space, history, Problem.RandomFor(4, 30)).Key,
            new TpeSampler(constantLiar: false).Propose(Problem.Space, history, Problem.RandomFor(4, 30)).Key);
    }

    [Fact]
    public void Grid_tries_every_trainer_in_its_first_round_and_never_repeats()
    {
        var history = Problem.Run(new GridSampler(), seed: 0, trials: 300);
        Assert.Equal(Problem.Space.Trainers.Select(t => t.Trainer), history.Take(3).Select(t => t.Config.Trainer));
        Assert.All(Problem.Unit(history[0].Config).SkipLast(1), u => Assert.InRange(u, 0.49, 0.51)); // the middle of the space comes first
        Assert.Equal(history.Count, history.Select(t => t.Config.Key).Distinct().Count());
        // linear: 3·3 = 9 points, trees: 3·3·3·3 = 81, net: 3·3·3 = 27; after 117 trials random ones follow.
        Assert.Equal(9, history.Take(117).Count(t => t.Config.Trainer == "linear"));
        Assert.Equal(81, history.Take(117).Count(t => t.Config.Trainer == "trees"));
    }

    [Fact]
    public void Samplers_are_created_by_name_and_an_unknown_name_is_the_users_mistake()
    {
        Assert.Equal(["random", "grid", "cfo", "tpe"], Samplers.Names);
        Assert.All(Samplers.Names, n => Assert.Equal(n, Samplers.Create(n).Name));
        Assert.Equal("tpe", Samplers.Create(" TPE ").Name);
        var error = Assert.Throws<WorkbenchInputException>(() => Samplers.Create("bayes"));
        Assert.Contains("bayes", error.Message);
        Assert.Contains("random, grid, cfo, tpe", error.Message);
    }

    /// <summary>
    /// Three fake trainers with float, integer, log-scale and choice parameters, a smooth loss in unit space with a
    /// known optimum (0.10, on "trees"), and a cost that grows with the trainer's relative cost and its size parameter.
    /// </summary>
    private static class Problem
    {
        public const double Optimum = 0.10;

        public static readonly JointSearchSpace Space = new(
        [
            new SearchSpace("net", [new IntDomain("epochs", 1, 100), new FloatDomain("dropout", 0, 0.5), new ChoiceDomain("activation", ["relu", "tanh", "gelu"])],
                new Dictionary<string, object> { ["epochs"] = 1, ["dropout"] = 0.0, ["activation"] = "relu" }, RelativeCost: 10),
            new SearchSpace("linear", [new FloatDomain("l2", 1e-4, 10, Log: true), new FloatDomain("rate", 1e-3, 1, Log: true)],
                new Dictionary<string, object> { ["l2"] = 1e-4, ["rate"] = 0.1 }, RelativeCost: 1),
            new SearchSpace("trees", [new IntDomain("trees", 4, 1024, Log: true), new IntDomain("leaves", 2, 128), new FloatDomain("rate", 0.01, 1, Log: true), new ChoiceDomain("boost", ["gbdt", "dart", "goss"])],
                new Dictionary<string, object> { ["trees"] = 4, ["leaves"] = 4, ["rate"] = 0.1, ["boost"] = "gbdt" }, RelativeCost: 3),
        ]);

        /// <summary>Each trial gets its own random source, from the seed and its number, so that a resumed study can rebuild it.</summary>
        public static Random RandomFor(int seed, int trial) => new(unchecked(seed * 1_000_003 + trial));

        /// <summary>Unit coordinates computed here independently of the samplers (choices as their index).</summary>
        public static double[] Unit(TrialConfig config) => [.. Space.For(config.Trainer).Parameters.Select(p => p switch
        {
            FloatDomain { Log: true } f => Math.Log((double)config.Parameters[p.Name] / f.Low) / Math.Log(f.High / f.Low),
            FloatDomain f => ((double)config.Parameters[p.Name] - f.Low) / (f.High - f.Low),
            IntDomain { Log: true } i => Math.Log((double)(int)config.Parameters[p.Name] / i.Low) / Math.Log((double)i.High / i.Low),
            IntDomain i => ((int)config.Parameters[p.Name] - i.Low) / (double)(i.High - i.Low),
            ChoiceDomain c => c.Choices.ToList().IndexOf((string)config.Parameters[p.Name]),
            _ => throw new InvalidOperationException(),
        })];

        public static double Loss(TrialConfig config)
        {
            var u = Unit(config);
            static double Sq(double x) => x * x;
            return config.Trainer switch
            {
                "linear" => 0.40 + 0.3 * (Sq(u[0] - 0.7) + Sq(u[1] - 0.3)),
                "trees" => Optimum + 0.5 * (Sq(u[0] - 0.75) + Sq(u[1] - 0.4) + Sq(u[2] - 0.35)) + 0.03 * u[3],
                _ => 0.20 + 0.4 * (Sq(u[0] - 0.6) + Sq(u[1] - 0.2)) + (u[2] == 2 ? 0 : 0.04),
            };
        }

        public static double Seconds(TrialConfig config) =>
            Space.For(config.Trainer).RelativeCost * (1 + 4 * (config.Trainer == "linear" ? 0 : Unit(config)[0]));

        /// <summary>Propose → evaluate → record, <paramref name="trials"/> times; every failEvery-th trial, or every trial of failTrainer, fails.</summary>
        public static List<TrialOutcome> Run(ISampler sampler, int seed, int trials, int failEvery = 0, string? failTrainer = null,
            JointSearchSpace? space = null, Func<TrialConfig, double>? loss = null)
        {
            var history = new List<TrialOutcome>();
            for (int n = 0; n < trials; n++)
            {
                var config = sampler.Propose(space ?? Space, history, RandomFor(seed, n));
                bool failed = (failEvery > 0 && n % failEvery == failEvery - 1) || config.Trainer == failTrainer;
                double value = (loss ?? Loss)(config), seconds = space is null ? Seconds(config) : 1;
                history.Add(failed
                    ? new TrialOutcome(n, config, TrialState.Failed, null, [], 0.5 * seconds)
                    : new TrialOutcome(n, config, TrialState.Complete, value, [value, value, value], seconds));
            }
            return history;
        }
    }
}
