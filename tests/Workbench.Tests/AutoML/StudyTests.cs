using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Tasks;
using MLWorkbench.Search;

namespace MLWorkbench.Tests.AutoML;

/// <summary>The study's seams: samplers, pruners, stores and objectives a library user passes or writes.</summary>
public class StudyTests
{
    /// <summary>Minimise (x − 0.3)² over three equal steps; starts from x = 0.3.</summary>
    private sealed class Parabola(TimeSpan stepTime) : IObjective
    {
        public string Name => "parabola";
        public JointSearchSpace Space { get; } = new([new SearchSpace("toy", [new FloatDomain("x", 0, 1)], new Dictionary<string, object> { ["x"] = 0.3 })]);
        public IReadOnlyList<TrialConfig> StartingPoints => [new TrialConfig("toy", new Dictionary<string, object> { ["x"] = 0.3 })];
        public string Fingerprint => "objective=parabola";
        public double Loss(IReadOnlyDictionary<string, double> metrics) => metrics["loss"];
        public double TieBreak(StoredTrial trial) => 0;

        public async Task<TrialEvaluation> EvaluateAsync(Trial trial, CancellationToken cancellationToken)
        {
            var x = (double)trial.Config.Parameters["x"];
            for (var step = 0; step < 3; step++)
            {
                await Task.Delay(stepTime, cancellationToken);
                await trial.ReportAsync(new Dictionary<string, double> { ["loss"] = (x - 0.3) * (x - 0.3) }, cancellationToken);
                if (step < 2 && trial.ShouldPrune()) return new TrialEvaluation(TrialState.Pruned, $"pruned after step {step + 1}");
            }
            return TrialEvaluation.Complete;
        }
    }

    /// <summary>Proposes x = n / 4 for trial n, and remembers what it saw.</summary>
    private sealed class QuarterSampler : ISampler
    {
        public List<IReadOnlyList<TrialOutcome>> Seen { get; } = [];
        public string Name => "quarters";

        public TrialConfig Propose(JointSearchSpace space, IReadOnlyList<TrialOutcome> history, Random random)
        {
            Seen.Add(history.ToArray());
            return new TrialConfig("toy", new Dictionary<string, object> { ["x"] = history.Count / 4.0 });
        }
    }

    /// <summary>Stops any trial whose loss is above 0.1.</summary>
    private sealed class ThresholdPruner : IPruner
    {
        public int Calls { get; private set; }
        public string Name => "threshold";

        public bool ShouldPrune(IReadOnlyList<double> foldScores, IReadOnlyList<TrialOutcome> history)
        {
            Calls++;
            return foldScores.Average() > 0.1;
        }
    }

    /// <summary>A store that counts what the study asks of it and keeps the trials in memory.</summary>
    private sealed class CountingStore : IStudyStore
    {
        private readonly SqliteStudyStore _inner = SqliteStudyStore.InMemory();
        public Dictionary<string, int> Calls { get; } = [];
        public string? Location => "counting";

        private T Count<T>(string call, T value)
        {
            lock (Calls) Calls[call] = Calls.GetValueOrDefault(call) + 1;
            return value;
        }

        public Task OpenAsync(string name, string fingerprint, CancellationToken cancellationToken = default) => Count("open", _inner.OpenAsync(name, fingerprint, cancellationToken));
        public Task<IReadOnlyList<StoredTrial>> LoadTrialsAsync(CancellationToken cancellationToken = default) => Count("load", _inner.LoadTrialsAsync(cancellationToken));
        public Task<TrialLease> CreateTrialAsync(Func<int, TrialConfig> propose, CancellationToken cancellationToken = default) => Count("create", _inner.CreateTrialAsync(propose, cancellationToken));
        public Task<int> EnqueueAsync(TrialConfig config, CancellationToken cancellationToken = default) => Count("enqueue", _inner.EnqueueAsync(config, cancellationToken));
        public Task<TrialLease?> ClaimQueuedAsync(CancellationToken cancellationToken = default) => Count("claim", _inner.ClaimQueuedAsync(cancellationToken));
        public Task<bool> HeartbeatAsync(TrialLease lease, CancellationToken cancellationToken = default) => Count("heartbeat", _inner.HeartbeatAsync(lease, cancellationToken));
        public Task<bool> ReportAsync(TrialLease lease, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default) =>
            Count("report", _inner.ReportAsync(lease, step, metrics, cancellationToken));
        public Task<bool> FinishAsync(TrialLease lease, StoredTrial trial, CancellationToken cancellationToken = default) => Count("finish", _inner.FinishAsync(lease, trial, cancellationToken));
        public Task SaveTrialAsync(StoredTrial trial, CancellationToken cancellationToken = default) => Count("save", _inner.SaveTrialAsync(trial, cancellationToken));
        public Task<double> GetSpentSecondsAsync(CancellationToken cancellationToken = default) => Count("spent", _inner.GetSpentSecondsAsync(cancellationToken));
        public Task AddSpentSecondsAsync(double seconds, CancellationToken cancellationToken = default) => Count("add-spent", _inner.AddSpentSecondsAsync(seconds, cancellationToken));
        public void Dispose() => _inner.Dispose();
    }

    [Fact]
    public async Task A_user_sampler_pruner_and_store_are_the_ones_used()
    {
        var sampler = new QuarterSampler();
        var pruner = new ThresholdPruner();
        using var store = new CountingStore();
        var study = new Study(store, sampler, pruner, new StudySettings
        {
            MaxTrials = 5, BudgetSeconds = null, HeartbeatInterval = TimeSpan.FromMilliseconds(10),
        });

        var run = await study.OptimizeAsync(new Parabola(TimeSpan.FromMilliseconds(40)));

        // Trial 0 is the objective's starting point, queued and claimed; the sampler proposes the other four and sees
        // every earlier trial, so x = 1/4, 2/4, 3/4, 4/4.
        Assert.Equal([1, 2, 3, 4], sampler.Seen.Select(h => h.Count));
        Assert.Equal([0.3, 0.25, 0.5, 0.75, 1.0], run.Trials.Select(t => (double)t.Trial.Config.Parameters["x"]));
        // The pruner stops the two trials whose loss is above 0.1 after their first step.
        Assert.Equal([TrialState.Complete, TrialState.Complete, TrialState.Complete, TrialState.Pruned, TrialState.Pruned],
            run.Trials.Select(t => t.Trial.State));
        Assert.Equal([3, 3, 3, 1, 1], run.Trials.Select(t => t.Trial.FoldMetrics.Count));
        Assert.Equal(3 * 2 + 2 * 1, pruner.Calls);
        Assert.Equal(0, run.Best(new Parabola(TimeSpan.Zero))!.Number);

        Assert.Equal((1, 1, 4, 5, 11), (store.Calls["enqueue"], store.Calls["claim"], store.Calls["create"], store.Calls["finish"], store.Calls["report"]));
        Assert.True(store.Calls.GetValueOrDefault("heartbeat") > 0, "no heartbeat while trials ran");
        Assert.Contains("sampler=quarters; pruner=threshold", study.Fingerprint(new Parabola(TimeSpan.Zero)));
    }

    [Fact]
    public async Task A_killed_trial_runs_again_under_its_number_with_its_configuration()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        var settings = new StudySettings { MaxTrials = 4, BudgetSeconds = null, Seed = 5 };
        using var cancel = new CancellationTokenSource();
        var progress = new Progress(cancel, stopAt: 2);
        using (var store = new SqliteStudyStore(path))
        {
            var stopped = await new Study(store, new RandomSampler(), new NopPruner(), settings).OptimizeAsync(new Parabola(TimeSpan.FromMilliseconds(100)), progress, cancel.Token);
            Assert.Equal("interrupted", stopped.StopReason);
            Assert.Equal(2, stopped.Trials.Count);
            Assert.Equal(TrialState.Running, (await store.LoadTrialsAsync())[2].State);
        }

        StudyRun resumed, straight;
        using (var store = new SqliteStudyStore(path))
            resumed = await new Study(store, new RandomSampler(), new NopPruner(), settings).OptimizeAsync(new Parabola(TimeSpan.Zero));
        using (var store = SqliteStudyStore.InMemory())
            straight = await new Study(store, new RandomSampler(), new NopPruner(), settings).OptimizeAsync(new Parabola(TimeSpan.Zero));
        Assert.Equal(2, resumed.Resumed);
        Assert.Equal(straight.Trials.Select(t => t.Trial.Config.Key), resumed.Trials.Select(t => t.Trial.Config.Key));
        Assert.All(resumed.Trials, t => Assert.Equal(TrialState.Complete, t.Trial.State));
    }

    [Fact]
    public async Task The_budget_covers_the_whole_study_so_a_resumed_search_gets_only_what_is_left()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "study.db");
        var settings = new StudySettings { MaxTrials = null, BudgetSeconds = 0.6, Seed = 5 };
        StudyRun first, second;
        double spent;
        using (var store = new SqliteStudyStore(path))
        {
            first = await new Study(store, new RandomSampler(), new NopPruner(), settings).OptimizeAsync(new Parabola(TimeSpan.FromMilliseconds(30)));
            spent = await store.GetSpentSecondsAsync();
        }
        Assert.Equal("budget", first.StopReason);
        Assert.Equal(0, first.SpentBeforeSeconds);
        Assert.InRange(spent, 0.6, 30);

        using (var store = new SqliteStudyStore(path))
            second = await new Study(store, new RandomSampler(), new NopPruner(), settings).OptimizeAsync(new Parabola(TimeSpan.FromMilliseconds(30)));

        // Nothing is left: every trial is replayed from the store, none runs again, and the run says what was spent.
        Assert.Equal("budget", second.StopReason);
        Assert.Equal(first.Trials.Count, second.Resumed);
        Assert.Equal(first.Trials.Count, second.Trials.Count);
        Assert.Equal(spent, second.SpentBeforeSeconds, 6);

        // A larger budget continues the same study with what the increase leaves.
        using (var store = new SqliteStudyStore(path))
        {
            var third = await new Study(store, new RandomSampler(), new NopPruner(), settings with { BudgetSeconds = spent + 0.4 })
                .OptimizeAsync(new Parabola(TimeSpan.FromMilliseconds(30)));
            Assert.True(third.Trials.Count > first.Trials.Count, $"{third.Trials.Count} trials after {first.Trials.Count}");
        }
    }

    /// <summary>Cancels the study when trial <c>stopAt</c> starts.</summary>
    private sealed class Progress(CancellationTokenSource cancel, int stopAt) : IProgress<TrialProgress>
    {
        public void Report(TrialProgress value)
        {
            if (value.Status is null && value.Index == stopAt) cancel.Cancel();
        }
    }

    [Fact]
    public async Task Resuming_with_another_pruner_is_refused_with_a_sentence_that_names_it()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 120));
        var rows = Enumerable.Range(0, data.Rows.Count).ToArray();
        AutoMLOptions Options(string pruner) => new()
        {
            Task = TaskKind.Regression, Label = "y", Folds = 2, BudgetSeconds = null, MaxTrials = 1, Tuner = "random", Pruner = pruner,
            Trainers = ["sdca"], StudyPath = Path.Combine(dir.Path, "study.db"), Device = Tasks.ComputeDevice.Cpu,
        };
        await AutoMLSearch.Tabular("t", data, rows, null, null, Options("median")).RunAsync();
        var e = await Assert.ThrowsAsync<WorkbenchInputException>(() => AutoMLSearch.Tabular("t", data, rows, null, null, Options("none")).RunAsync());
        Assert.Contains("pruner was 'median', now 'none'", e.Message);
        Assert.Contains("study.db", e.Message);
        // The same settings resume.
        var again = await AutoMLSearch.Tabular("t", data, rows, null, null, Options("median")).RunAsync();
        Assert.Equal(1, again.AutoML!.ResumedTrials);
    }
}
