using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using MLWorkbench.AutoML;

namespace MLWorkbench.Tests.AutoML;

/// <summary>
/// Worker processes (tests/StudyWorker: a Study with its own PostgreSQL store, whose trials sleep) on one study: what
/// the issue asks of real processes: nothing lost and nothing completed twice when workers are killed with SIGKILL,
/// stopped with SIGSTOP past their lease, or all killed and started again. Grace periods of two seconds and heartbeats
/// of 200 ms keep each test to seconds. A live worker starved of CPU past the grace period (the whole suite runs at once
/// on 2 cores) rightly loses its lease too, so a trial may take more than the one extra attempt a kill costs: the tests
/// count attempts as at least that, and hold every trial to one committed result.
/// </summary>
[Collection(PostgresCollection.Name)]
public class WorkerProcessTests(PostgresCluster cluster)
{
    // Short leases for the tests: a stopped or killed worker's trial is queued again two seconds after its last heartbeat.
    private static readonly string[] ShortLeases = ["--grace-ms", "2000", "--heartbeat-ms", "200"];
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [PostgresFact]
    public async Task Four_worker_processes_complete_every_point_of_a_200_point_grid_exactly_once()
    {
        using var fleet = await WorkerFleet.CreateAsync(await cluster.NewDatabaseAsync(), points: 200);
        var workers = Enumerable.Range(0, 4).Select(_ => fleet.Start("--trial-ms", "20")).ToArray();
        foreach (var worker in workers) Assert.Equal(0, await worker.ExitAsync(Patience));

        Assert.All(workers, w => Assert.Contains("stop trials", w.Lines));
        Assert.Equal(Enumerable.Range(0, 200), workers.SelectMany(w => w.Numbers("committed")).Order());
        Assert.Equal(Enumerable.Range(0, 200), workers.SelectMany(w => w.Numbers("start")).Order()); // nothing even started twice
        Assert.True(workers.Count(w => w.Numbers("committed").Count > 0) > 1, "the work should be shared between the processes");
        var stored = await fleet.LoadAsync();
        Assert.Equal(Enumerable.Range(0, 200), stored.Select(t => t.Number));
        var pids = workers.Select(w => w.Pid).ToHashSet();
        Assert.All(stored, t =>
        {
            Assert.Equal((TrialState.Complete, 1, (double)t.Number), (t.State, t.Attempts, t.Score));
            Assert.Contains(WorkerFleet.PidOf(t), pids);
        });
    }

    [PostgresFact]
    public async Task A_worker_killed_mid_trial_has_its_trial_queued_again_and_completed_once_by_another()
    {
        using var fleet = await WorkerFleet.CreateAsync(await cluster.NewDatabaseAsync(), points: 30);
        // The first worker takes trial 0 (it is alone), which would take ten minutes; it is killed in the middle of it.
        var doomed = fleet.Start([.. ShortLeases, "--slow", "0:600000"]);
        await doomed.WaitForLineAsync("start 0", Patience);
        var others = Enumerable.Range(0, 2).Select(_ => fleet.Start([.. ShortLeases, "--trial-ms", "20"])).ToArray();
        await others[0].WaitForLineAsync("committed", Patience);
        doomed.Kill();
        foreach (var worker in others) Assert.Equal(0, await worker.ExitAsync(Patience));

        Assert.Empty(doomed.Numbers("committed"));
        Assert.Equal(Enumerable.Range(0, 30), others.SelectMany(w => w.Numbers("committed")).Order()); // each once, trial 0 included
        var stored = await fleet.LoadAsync();
        Assert.All(stored, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal(30, stored.Count);
        var retried = stored[0];
        Assert.True(retried.Attempts >= 2, $"trial 0 was started {retried.Attempts} times");
        Assert.Contains(WorkerFleet.PidOf(retried), others.Select(w => w.Pid));
    }

    [PostgresFact]
    public async Task A_worker_stopped_past_its_lease_cannot_write_its_late_result_and_notices_when_continued()
    {
        using var fleet = await WorkerFleet.CreateAsync(await cluster.NewDatabaseAsync(), points: 20);
        var paused = fleet.Start([.. ShortLeases, "--slow", "0:3000"]);
        await paused.WaitForLineAsync("start 0", Patience);
        WorkerProcess.Signal(paused.Pid, "STOP");
        // The other worker runs 1..19, then trial 0 once the stopped worker's lease has run out.
        var other = fleet.Start([.. ShortLeases, "--trial-ms", "20"]);
        Assert.Equal(0, await other.ExitAsync(Patience));
        var taken = Assert.Single(await fleet.LoadAsync(), t => t.Number == 0);
        Assert.Equal((TrialState.Complete, other.Pid), (taken.State, WorkerFleet.PidOf(taken)));
        Assert.True(taken.Attempts >= 2);

        WorkerProcess.Signal(paused.Pid, "CONT");
        Assert.Equal(0, await paused.ExitAsync(Patience));
        Assert.Contains("lost 0", paused.Lines); // its heartbeat or its report was refused, so it stopped the trial
        Assert.DoesNotContain(0, paused.Numbers("committed"));
        Assert.Contains("stop trials", paused.Lines); // and it went on to find the study finished
        Assert.Equal(Enumerable.Range(0, 20), other.Numbers("committed").Order());
        var after = Assert.Single(await fleet.LoadAsync(), t => t.Number == 0);
        Assert.Equal((taken.Attempts, other.Pid), (after.Attempts, WorkerFleet.PidOf(after))); // the late result was not written over it
    }

    [PostgresFact]
    public async Task Every_worker_killed_and_started_again_resumes_the_study_and_loses_nothing()
    {
        const int points = 60;
        using var fleet = await WorkerFleet.CreateAsync(await cluster.NewDatabaseAsync(), points);
        // Trials of 150 ms, so that each worker is almost surely inside one when it is killed.
        var first = Enumerable.Range(0, 4).Select(_ => fleet.Start([.. ShortLeases, "--trial-ms", "150"])).ToArray();
        var clock = Stopwatch.StartNew();
        while ((await fleet.LoadAsync()).Count(t => t.State == TrialState.Complete) < 12)
        {
            Assert.True(clock.Elapsed < Patience, "the first workers completed too few trials");
            await Task.Delay(50);
        }
        foreach (var worker in first) worker.Kill();
        var atKill = await fleet.LoadAsync();
        var runningAtKill = atKill.Where(t => t.State == TrialState.Running).Select(t => t.Number).ToArray();
        var completeAtKill = atKill.Where(t => t.State == TrialState.Complete).ToDictionary(t => t.Number);
        Assert.NotEmpty(runningAtKill);
        Assert.True(completeAtKill.Count < points);

        var second = Enumerable.Range(0, 4).Select(_ => fleet.Start([.. ShortLeases, "--trial-ms", "20"])).ToArray();
        foreach (var worker in second) Assert.Equal(0, await worker.ExitAsync(Patience));

        var stored = await fleet.LoadAsync();
        Assert.Equal(Enumerable.Range(0, points), stored.Select(t => t.Number));
        Assert.All(stored, t => Assert.Equal(TrialState.Complete, t.State));
        // No number was committed twice by the two generations together (a commit whose line the kill cut off is not counted).
        var commits = first.Concat(second).SelectMany(w => w.Numbers("committed")).ToArray();
        Assert.Equal(commits.Length, commits.Distinct().Count());
        Assert.All(second.SelectMany(w => w.Numbers("committed")), n => Assert.DoesNotContain(n, completeAtKill.Keys));
        var secondPids = second.Select(w => w.Pid).ToHashSet();
        Assert.All(stored, t =>
        {
            if (completeAtKill.TryGetValue(t.Number, out var before)) Assert.Equal(before.Worker, t.Worker); // kept, not run again
            else Assert.Contains(WorkerFleet.PidOf(t), secondPids);
        });
        Assert.All(runningAtKill, n => Assert.True(stored[n].Attempts >= 2)); // a killed trial is queued again with its number
    }

    [PostgresFact]
    public async Task Three_workers_on_a_study_whose_creator_is_gone_finalize_it_exactly_once()
    {
        // The fleet's creator queued the grid and exited: nobody but the workers can finish the study.
        using var fleet = await WorkerFleet.CreateAsync(await cluster.NewDatabaseAsync(), points: 30);
        var workers = Enumerable.Range(0, 3).Select(_ => fleet.Start([.. ShortLeases, "--trial-ms", "20", "--finalize-ms", "300"])).ToArray();
        foreach (var worker in workers) Assert.Equal(0, await worker.ExitAsync(Patience));

        var finalizer = Assert.Single(workers, w => w.Lines.Contains("finalized"));
        Assert.All(workers.Where(w => w != finalizer), w => Assert.Contains("finalized elsewhere", w.Lines));
        Assert.Equal(1, workers.Sum(w => w.Lines.Count(l => l == "finalizing"))); // the job was done once, not just stored once
        Assert.Equal($"{{\"pid\":{finalizer.Pid},\"complete\":30}}", await fleet.ResultsAsync()); // after every trial ended
    }

    [PostgresFact]
    public async Task A_finalizer_killed_mid_job_has_the_job_claimed_again_after_the_grace_period_and_done_once()
    {
        using var fleet = await WorkerFleet.CreateAsync(await cluster.NewDatabaseAsync(), points: 10);
        // Alone, the first worker runs every trial and claims the finalize job, which would take ten minutes.
        var doomed = fleet.Start([.. ShortLeases, "--trial-ms", "5", "--finalize-ms", "600000"]);
        await doomed.WaitForLineAsync("finalizing", Patience);
        doomed.Kill();
        Assert.Null(await fleet.ResultsAsync());

        var others = Enumerable.Range(0, 2).Select(_ => fleet.Start([.. ShortLeases, "--finalize-ms", "200"])).ToArray();
        foreach (var worker in others) Assert.Equal(0, await worker.ExitAsync(Patience));
        var finalizer = Assert.Single(others, w => w.Lines.Contains("finalized"));
        Assert.Contains("finalized elsewhere", others.Single(w => w != finalizer).Lines);
        Assert.Equal($"{{\"pid\":{finalizer.Pid},\"complete\":10}}", await fleet.ResultsAsync());
        Assert.All(others, w => Assert.Empty(w.Numbers("start"))); // the study's trials were all done: only the job was left
    }
}

/// <summary>Starts study-worker processes on one study, and kills whichever still run when disposed (a failed test included).</summary>
internal sealed class WorkerFleet : IDisposable
{
    private readonly List<WorkerProcess> _started = [];
    private readonly string _connection;
    private readonly int _points;
    private const string Study = "grid";

    private WorkerFleet(string connection, int points) => (_connection, _points) = (connection, points);

    /// <summary>A fleet on a new study whose <paramref name="points"/> grid points are queued.</summary>
    public static async Task<WorkerFleet> CreateAsync(string connection, int points)
    {
        var fleet = new WorkerFleet(connection, points);
        try
        {
            var creator = fleet.Start("--create");
            Assert.Equal(0, await creator.ExitAsync(TimeSpan.FromMinutes(2)));
            return fleet;
        }
        catch
        {
            fleet.Dispose();
            throw;
        }
    }

    public WorkerProcess Start(params string[] arguments)
    {
        var worker = new WorkerProcess(["--storage", _connection, "--study", Study, "--points", _points.ToString(CultureInfo.InvariantCulture), .. arguments]);
        lock (_started) _started.Add(worker);
        return worker;
    }

    /// <summary>Every trial of the study as the store has it now.</summary>
    public async Task<IReadOnlyList<StoredTrial>> LoadAsync()
    {
        // A long grace period: the test's reads must not queue anything again themselves.
        using var store = new PostgresStudyStore(_connection, new PostgresStoreSettings { GracePeriod = TimeSpan.FromHours(1) });
        await store.OpenAsync(Study, $"objective=sleep-grid; points={_points}; sampler=random; pruner=none; seed=42");
        return await store.LoadTrialsAsync();
    }

    /// <summary>The results the study's finalize job stored; null while it is not finalized.</summary>
    public async Task<string?> ResultsAsync()
    {
        using var store = new PostgresStudyStore(_connection);
        return (await store.GetResultsAsync(Study))!.Value.Results;
    }

    /// <summary>The process id in a trial's <c>HOST:PID</c>.</summary>
    public static int PidOf(StoredTrial trial) => int.Parse(trial.Worker![(trial.Worker!.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

    public void Dispose()
    {
        lock (_started)
            foreach (var worker in _started) worker.Dispose();
    }
}

/// <summary>One study-worker process and the lines it printed.</summary>
internal sealed partial class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<string> _errors = [];

    public WorkerProcess(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(Repository.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MLWorkbench.Tests.StudyWorker.dll"));
        foreach (var a in arguments) start.ArgumentList.Add(a);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_lines)
            {
                _lines.Add(e.Data);
                Monitor.PulseAll(_lines);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_errors) _errors.Add(e.Data);
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Pid = _process.Id;
    }

    public int Pid { get; }

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return [.. _lines]; }
    }

    /// <summary>The trial numbers of the lines <c>VERB N</c>, in the order printed.</summary>
    public IReadOnlyList<int> Numbers(string verb) =>
        [.. Lines.Select(l => Line().Match(l)).Where(m => m.Success && m.Groups[1].Value == verb).Select(m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))];

    /// <summary>Waits until a line starts with <paramref name="prefix"/>; fails with what the worker said when it does not come.</summary>
    public async Task WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Lines.Any(l => l.StartsWith(prefix, StringComparison.Ordinal)))
        {
            if (clock.Elapsed > timeout || _process.HasExited)
                Assert.Fail($"worker {Pid} did not print '{prefix}' ({(_process.HasExited ? "it exited" : "timed out")}). {Said()}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits for the process to end; its exit code. Fails (the fleet then kills it) when it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<int> ExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"worker {Pid} did not finish within {timeout}. {Said()}");
        }
        if (_process.ExitCode != 0) Assert.Fail($"worker {Pid} exited with {_process.ExitCode}. {Said()}");
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process ends at once, inside whatever it was doing.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Sends SIGSTOP, SIGCONT, ... (the name without SIG) to process <paramref name="pid"/>.</summary>
    public static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private string Said()
    {
        string[] errors;
        lock (_errors) errors = [.. _errors];
        return $"Its last lines: {string.Join(" | ", Lines.TakeLast(10))}; its errors: {string.Join(" | ", errors)}";
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(); // SIGKILL ends a stopped process too
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended meanwhile.
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"^(\w+) (\d+)$")]
    private static partial Regex Line();
}
