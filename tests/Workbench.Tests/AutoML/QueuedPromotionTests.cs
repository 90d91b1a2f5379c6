using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Search;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.AutoML;

/// <summary>Issue 17: in a shared store, an ASHA promotion is queued work that any worker claims.</summary>
[Collection(PostgresCollection.Name)]
public class QueuedPromotionTests(PostgresCluster cluster)
{
    private const string Level = HoldoutObjective<FeatureMatrix>.RungPrefix;

    /// <summary>Proposes the given configurations in turn after the one portfolio trial.</summary>
    private sealed class Sequence(params TrialConfig[] configs) : ISampler
    {
        public string Name => "sequence";

        public TrialConfig Propose(JointSearchSpace space, IReadOnlyList<TrialOutcome> history, Random random) =>
            configs[Math.Clamp(history.Count - 1, 0, configs.Length - 1)];
    }

    /// <summary>A worker that stops (as if it were killed between trials) right after its first promotion.</summary>
    private sealed class StopAfterPromotion(IStudyStore inner, CancellationTokenSource stop) : IStudyStore
    {
        public int? Promoted { get; private set; }
        public string? Location => inner.Location;
        public bool KeepsArtifacts => inner.KeepsArtifacts;
        public bool QueuesPromotions => inner.QueuesPromotions;
        public Task OpenAsync(string name, string fingerprint, CancellationToken cancellationToken = default) => inner.OpenAsync(name, fingerprint, cancellationToken);
        public Task<IReadOnlyList<StoredTrial>> LoadTrialsAsync(CancellationToken cancellationToken = default) => inner.LoadTrialsAsync(cancellationToken);
        public Task<(IReadOnlyList<StoredTrial> Trials, long? Mark)> LoadChangedTrialsAsync(long? since, CancellationToken cancellationToken = default) =>
            inner.LoadChangedTrialsAsync(since, cancellationToken);
        public Task<double> GetSpentSecondsAsync(CancellationToken cancellationToken = default) => inner.GetSpentSecondsAsync(cancellationToken);
        public Task AddSpentSecondsAsync(double seconds, CancellationToken cancellationToken = default) => inner.AddSpentSecondsAsync(seconds, cancellationToken);
        public Task<TrialLease> CreateTrialAsync(Func<int, TrialConfig> propose, CancellationToken cancellationToken = default) => inner.CreateTrialAsync(propose, cancellationToken);
        public Task<TrialLease?> CreateTrialBelowAsync(Func<int, TrialConfig> propose, int limit, CancellationToken cancellationToken = default) =>
            inner.CreateTrialBelowAsync(propose, limit, cancellationToken);
        public Task<int> EnqueueAsync(TrialConfig config, CancellationToken cancellationToken = default) => inner.EnqueueAsync(config, cancellationToken);
        public Task<TrialLease?> ClaimQueuedAsync(CancellationToken cancellationToken = default) => inner.ClaimQueuedAsync(cancellationToken);
        public Task<bool> HeartbeatAsync(TrialLease lease, CancellationToken cancellationToken = default) => inner.HeartbeatAsync(lease, cancellationToken);
        public Task<bool> ReportAsync(TrialLease lease, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default) =>
            inner.ReportAsync(lease, step, metrics, cancellationToken);
        public Task<bool> FinishAsync(TrialLease lease, StoredTrial trial, CancellationToken cancellationToken = default) => inner.FinishAsync(lease, trial, cancellationToken);
        public Task<bool> SaveArtifactAsync(TrialLease lease, string name, byte[] content, CancellationToken cancellationToken = default) =>
            inner.SaveArtifactAsync(lease, name, content, cancellationToken);
        public Task<byte[]?> LoadArtifactAsync(int number, string name, CancellationToken cancellationToken = default) => inner.LoadArtifactAsync(number, name, cancellationToken);
        public async Task<bool> PromoteAsync(TrialLease lease, double seconds, CancellationToken cancellationToken = default)
        {
            var promoted = await inner.PromoteAsync(lease, seconds, cancellationToken);
            if (promoted && Promoted is null)
            {
                Promoted = lease.Number;
                await stop.CancelAsync();
            }
            return promoted;
        }
        public Task SaveTrialAsync(StoredTrial trial, CancellationToken cancellationToken = default) => inner.SaveTrialAsync(trial, cancellationToken);
        public void Dispose() => inner.Dispose();
    }

    private static TrialConfig LightGbm(int iterations, double rate) => new("lightgbm", new Dictionary<string, object>
    {
        ["numberOfLeaves"] = 16, ["numberOfIterations"] = iterations, ["learningRate"] = rate, ["minimumExampleCountPerLeaf"] = 10,
        ["featureFraction"] = 1.0, ["l2Regularization"] = 1e-6,
    });

    [PostgresFact]
    public async Task A_promotion_is_queued_and_the_next_rung_is_run_by_another_worker()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, 3_000));
        var options = new AutoMLOptions
        {
            Task = TaskKind.Regression, Label = "y", HoldoutAboveRows = 1_000, RowRungMinRows = 200, BudgetSeconds = null,
            MaxTrials = 3, Seed = 5, Trainers = ["lightgbm"], Device = ComputeDevice.Cpu,
        };
        var settings = AutoMLSearch.Settings(options) with { HeartbeatInterval = TimeSpan.FromMilliseconds(200) };
        Study Worker(IStudyStore store, out TabularObjective objective)
        {
            objective = TabularObjective.Prepare("rows", data, Enumerable.Range(0, data.Rows.Count).ToArray(), null, null, options);
            objective.StartingPoints = [LightGbm(7, 0.02)];
            return new Study(store, new Sequence(LightGbm(60, 0.1), LightGbm(30, 0.05)), Pruners.Create(options.Pruner), settings);
        }

        // Worker a runs the portfolio trial, then the first sampled trial's lowest rung, which promotes it; then it stops.
        using var stop = new CancellationTokenSource();
        using var a = new StopAfterPromotion(new PostgresStudyStore(connection, new PostgresStoreSettings { Worker = "a:1" }), stop);
        var first = await Worker(a, out var objectiveA).OptimizeAsync(objectiveA, cancellationToken: stop.Token);
        Assert.Equal("interrupted", first.StopReason);
        var promoted = Assert.IsType<int>(a.Promoted);
        var rungs = TabularObjective.RowRungs(objectiveA.NewResult().Split!.TrainRows - objectiveA.NewResult().Split!.ValidationRows, 200);
        Assert.Equal(3, rungs.Count);
        var queued = (await a.LoadTrialsAsync()).Single(t => t.Number == promoted);
        Assert.Equal(TrialState.Queued, queued.State);
        Assert.Equal("promoted to its next rung by a:1", queued.Reason);
        Assert.Equal(rungs[0], queued.FoldMetrics.Single()[$"{Level}2.rows"]);
        Assert.False(queued.FoldMetrics[0].ContainsKey($"{Level}1.rows"));

        // Worker b claims the promotion, fits the higher rungs (each promotion queued and claimed again) and ends the study.
        using var b = new PostgresStudyStore(connection, new PostgresStoreSettings { Worker = "b:2" });
        var second = await Worker(b, out var objectiveB).OptimizeAsync(objectiveB);
        Assert.Equal("trials", second.StopReason);
        var trials = await b.LoadTrialsAsync();
        Assert.Equal([0, 1, 2], trials.Select(t => t.Number));
        Assert.All(trials, t => Assert.True(t.IsFinished, $"trial {t.Number} is {t.State}"));
        var done = trials.Single(t => t.Number == promoted);
        Assert.Equal(TrialState.Complete, done.State);
        Assert.Equal("b:2", done.Worker);
        // Its record holds the rung worker a fitted (the same value) and the rungs worker b fitted after it.
        Assert.Equal(queued.FoldMetrics[0][$"{Level}2.value"], done.FoldMetrics.Single()[$"{Level}2.value"]);
        Assert.Equal([rungs[0], rungs[1], rungs[2]], new[] { 2, 1, 0 }.Select(l => (int)done.FoldMetrics[0][$"{Level}{l}.rows"]));
        Assert.True(done.Seconds > queued.Seconds);
        Assert.Equal(done.Score, objectiveB.Loss(done.FoldMetrics[0]));
        Assert.Contains(second.Trials, t => t.Trial.Number == promoted);
    }
}
