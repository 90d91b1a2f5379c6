using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MLWorkbench.AutoML;
using MLWorkbench.Cli.Suites;
using MLWorkbench.Experiments;
using MLWorkbench.Results;
using MLWorkbench.Search;
using MLWorkbench.Tasks;

namespace MLWorkbench.Cli.Commands;

/// <summary>
/// <c>mlwb run SUITE --storage CONN [--study NAME]</c>: a suite as one shared study. Every candidate of every experiment
/// is one queued trial (trainer = the candidate, parameters = the experiment's and the candidate's index), claimed with
/// <c>FOR UPDATE SKIP LOCKED</c> by whichever process asks first — the one that queued them, or any
/// <c>mlwb worker --storage CONN --study NAME</c> — and run under a lease with heartbeats, as a search's trials are. A
/// job trains its one candidate exactly as <c>mlwb run</c> would (same split, seed and settings) and keeps its result
/// and its model in the database with the trial. When no job is queued or running, exactly one process claims the
/// study's finalize job, puts each experiment together (its candidates in suite order, the model to ship chosen by the
/// selection rule, that model's bundle), writes results.json, the report and the models, and keeps the results and
/// models in the database for <c>mlwb report --storage</c>. The suite file and its data files go into the database when
/// the study is created, so workers need only the connection string. An AutoML experiment is a study of its own in the
/// same database (<see cref="SearchStudy"/>), created when the suite is queued; every process runs its trials after the
/// comparisons' jobs and takes part in its finalize job, so the suite's finalizer finds each search's result and model
/// stored and puts them into the suite's results as a one-process run would.
/// </summary>
internal static class SharedSuite
{
    // What a job keeps with its trial: the one-candidate experiment result, and the candidate's bundle.
    private const string ResultArtifact = "experiment-result";
    private const string ModelArtifact = "model";
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(2);

    /// <summary>The spec a suite's study records for <c>mlwb worker</c> (its first word tells a suite from a search).</summary>
    public static string Spec(Suite suite) => WorkerCommand.Spec(["run", suite.Path, "--out", suite.OutputDirectory]);

    /// <summary>The data-file role of an experiment's file in the study, e.g. <c>--data:0</c>.</summary>
    public static string Role(string option, int experiment) => $"{option}:{experiment.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Records the suite as the study <paramref name="study"/>: its file and data in the database, one queued trial per
    /// candidate (only when the study is new: a second run of the same command joins it), then the spec that lets workers join.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The study holds another suite, or an AutoML experiment's study holds another search.</exception>
    public static async Task QueueAsync(Suite suite, string connection, string study, bool storeData, CancellationToken cancellationToken)
    {
        using var store = new PostgresStudyStore(connection);
        await store.OpenAsync(study, Fingerprint(suite), cancellationToken);
        if (storeData)
        {
            var files = new Dictionary<string, string>(StringComparer.Ordinal) { ["--suite"] = suite.Path };
            foreach (var (spec, i) in suite.Experiments.Select((s, i) => (s, i)))
            {
                files[Role("--data", i)] = spec.DataPath;
                if (spec.TestPath is { } test) files[Role("--test", i)] = test;
                if (spec.ValidationPath is { } validation) files[Role("--validation", i)] = validation;
            }
            await store.StoreDataAsync(files, cancellationToken);
        }
        // Each AutoML experiment is its own study (its starting points queued, its spec pointing back at the suite's),
        // created before the suite's spec: a worker that sees the suite finds its searches there too.
        var workbench = new Workbench();
        foreach (var spec in suite.Experiments.Where(e => e.AutoML is not null))
            await workbench.Prepare(Searching(spec, connection, study, create: true, publish: null)).RunAsync(null, cancellationToken);
        if ((await store.LoadTrialsAsync(cancellationToken)).Count == 0)
            foreach (var (spec, i) in suite.Experiments.Select((s, i) => (s, i)).Where(p => p.s.AutoML is null))
                foreach (var (candidate, j) in Candidates(spec).Select((c, j) => (c, j)))
                    await store.EnqueueAsync(new TrialConfig(candidate, new Dictionary<string, object> { ["experiment"] = i, ["candidate"] = j }), CancellationToken.None);
        await store.SetSpecAsync(Spec(suite), cancellationToken);
    }

    /// <summary>
    /// The suite as a worker on another machine reads it: its experiments' data at the paths of <paramref name="files"/>
    /// (from <see cref="PostgresStudyStore.MaterializeDataAsync"/>; a role that is missing keeps the suite's own path) and
    /// everything written under <paramref name="output"/>.
    /// </summary>
    public static Suite Locate(Suite suite, IReadOnlyDictionary<string, string> files, string output) => suite with
    {
        OutputDirectory = output,
        Experiments = [.. suite.Experiments.Select((spec, i) => Copy(spec,
            files.GetValueOrDefault(Role("--data", i)) ?? spec.DataPath,
            spec.TestPath is null ? null : files.GetValueOrDefault(Role("--test", i)) ?? spec.TestPath,
            spec.ValidationPath is null ? null : files.GetValueOrDefault(Role("--validation", i)) ?? spec.ValidationPath,
            spec.Candidates, spec.ModelPath is null ? null : Path.Combine(output, Path.GetFileName(spec.ModelPath))))],
    };

    /// <summary>
    /// Runs queued jobs of the suite's study until none is queued or running, then takes part in finalizing it. Returns
    /// the exit code of writing the results when this process finalized the study, else null.
    /// </summary>
    public static async Task<int?> WorkAsync(Suite suite, string connection, string study, Func<RunResults, CancellationToken, Task<int>> write,
        TextWriter output, CancellationToken cancellationToken)
    {
        using var store = new PostgresStudyStore(connection);
        await store.OpenAsync(study, Fingerprint(suite), cancellationToken);
        var workbench = new Workbench();
        var scratch = Directory.CreateTempSubdirectory("mlwb-suite-job-");
        try
        {
            // The comparisons' queued jobs first; then each AutoML experiment's study, whose trials this process runs
            // until its limit or budget and whose finalize job (refit, model) it may take; then whatever comparison job a
            // dead worker left, waiting while others still run theirs.
            await RunJobsAsync(workbench, suite, store, scratch.FullName, untilDone: false, output, cancellationToken);
            foreach (var spec in suite.Experiments.Where(e => e.AutoML is not null))
                await workbench.Prepare(Searching(spec, connection, study, create: false, publish: result => PublishSearch(suite, result))).RunAsync(null, cancellationToken);
            await RunJobsAsync(workbench, suite, store, scratch.FullName, untilDone: true, output, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: the running job stays running in the store and is queued again for the others.
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
        if (cancellationToken.IsCancellationRequested) return null;

        int? written = null;
        await store.FinalizeWithOutputsAsync(async lost =>
        {
            var results = await AssembleAsync(suite, store, study, lost);
            written = await write(results, lost);
            var models = suite.Experiments.Select(e => e.ModelPath).OfType<string>().Where(File.Exists).ToArray();
            return (await File.ReadAllTextAsync(Path.Combine(suite.OutputDirectory, "results.json"), lost), models);
        }, Heartbeat, cancellationToken);
        return written;
    }

    /// <summary>
    /// Claims and runs the comparisons' queued jobs until none is queued (<paramref name="untilDone"/> false), or until
    /// none is queued or running (true: a dead worker's job is queued again by a claim after the grace period).
    /// </summary>
    private static async Task RunJobsAsync(Workbench workbench, Suite suite, PostgresStudyStore store, string scratch, bool untilDone, TextWriter output,
        CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var lease = await store.ClaimQueuedAsync(cancellationToken);
            if (lease is null)
            {
                if (!untilDone || !(await store.LoadTrialsAsync(cancellationToken)).Any(t => t.State == TrialState.Running)) return;
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                continue;
            }
            var outcome = await RunJobAsync(workbench, suite, store, lease, scratch, cancellationToken);
            if (outcome is not null) await output.WriteLineAsync(outcome);
        }
    }

    /// <summary>The study of the suite study <paramref name="study"/>'s AutoML experiment <paramref name="experiment"/> ('/' is in no suite or experiment name).</summary>
    public static string SearchStudy(string study, string experiment) => $"{study}/{experiment}";

    /// <summary>
    /// What an AutoML experiment's study records for <c>mlwb worker</c>: that it is part of the suite study
    /// <paramref name="suiteStudy"/>, which a worker joins instead (it runs the search, and the rest of the suite).
    /// </summary>
    public static string PartSpec(string suiteStudy) => WorkerCommand.Spec(["suite", suiteStudy]);

    /// <summary>
    /// The experiment's search as a shared study in the suite's database: created with its starting points
    /// (<paramref name="create"/>), or joined (its trials run here until its limit or budget, then its finalize job, which
    /// refits the best trial, writes the model to the experiment's model path and keeps the model and
    /// <paramref name="publish"/>'s results in the database). Budget, trials, seed and tuner are the suite's.
    /// </summary>
    private static ExperimentSpec Searching(ExperimentSpec spec, string connection, string study, bool create, Func<ExperimentResult, string>? publish)
    {
        var a = spec.AutoML!;
        // A copy of the suite's settings with only the study's changed: an option added later reaches the workers too.
        var options = a with
        {
            StudyPath = null, StudyName = SearchStudy(study, spec.Name), Storage = connection, StudySpec = PartSpec(study), StudyFiles = null,
            CreateOnly = create, JoinOnly = !create, ModelPath = spec.ModelPath,
            Publish = publish is null ? null : (result, _) => Task.FromResult(publish(result)),
        };
        return Copy(spec, spec.DataPath, spec.TestPath, spec.ValidationPath, spec.Candidates, spec.ModelPath, options);
    }

    // A search's study keeps its experiment as a one-experiment results file, which 'mlwb report --storage' renders too.
    private static string PublishSearch(Suite suite, ExperimentResult result)
    {
        var results = new RunResults { Suite = suite.Name, StartedUtc = DateTimeOffset.UtcNow };
        results.Experiments.Add(result);
        return JsonSerializer.Serialize(results, ResultsFile.JsonOptions);
    }

    /// <summary>Runs one job under its lease; a line saying what it did, or null when the lease was lost.</summary>
    private static async Task<string?> RunJobAsync(Workbench workbench, Suite suite, PostgresStudyStore store, TrialLease lease, string scratch,
        CancellationToken cancellationToken)
    {
        var experiment = Convert.ToInt32(lease.Config.Parameters["experiment"], CultureInfo.InvariantCulture);
        var spec = suite.Experiments[experiment];
        var model = Path.Combine(scratch, $"{lease.Number.ToString(CultureInfo.InvariantCulture)}.mlwb");
        var job = Copy(spec, spec.DataPath, spec.TestPath, spec.ValidationPath, [lease.Config.Trainer], spec.ModelPath is null ? null : model);
        var clock = Stopwatch.StartNew();
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stop = new CancellationTokenSource();
        var beating = store.KeepAliveAsync(lease, Heartbeat, lost, stop.Token);
        ExperimentResult result;
        try
        {
            result = await workbench.Prepare(job).RunAsync(null, lost.Token);
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            await stop.CancelAsync();
            await beating;
        }
        if (lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested) return null;
        cancellationToken.ThrowIfCancellationRequested();
        var trial = result.Trials.Single();
        // The result and the model go in under the lease before the trial finishes: a finished job always has them.
        await store.SaveArtifactAsync(lease, ResultArtifact, JsonSerializer.SerializeToUtf8Bytes(result, ResultsFile.JsonOptions), CancellationToken.None);
        if (File.Exists(model)) await store.SaveArtifactAsync(lease, ModelArtifact, await File.ReadAllBytesAsync(model, CancellationToken.None), CancellationToken.None);
        File.Delete(model);
        var validation = trial.Metrics.Validation;
        double? score = trial.Status == TrialStatus.Succeeded && validation.TryGetValue(result.PrimaryMetric, out var value) ? (result.HigherIsBetter ? -value : value) : null;
        var state = trial.Status == TrialStatus.Succeeded ? TrialState.Complete : TrialState.Failed;
        var stored = new StoredTrial(lease.Number, lease.Config, state, score, [validation], clock.Elapsed.TotalSeconds, trial.Reason ?? (trial.Status == TrialStatus.Skipped ? "skipped" : null),
            DateTimeOffset.UtcNow);
        if (!await store.FinishAsync(lease, stored, CancellationToken.None)) return null;
        return $"{spec.Name} / {trial.Candidate}: {trial.Status}" + (score is null ? "" : $" (validation {result.PrimaryMetric} {validation[result.PrimaryMetric]:0.####})");
    }

    /// <summary>
    /// Each experiment from its jobs: the candidates in suite order (a job that failed on every attempt is a failed trial
    /// with its reason), the model to ship by the selection rule, and that candidate's bundle written to the experiment's model path.
    /// </summary>
    private static async Task<RunResults> AssembleAsync(Suite suite, PostgresStudyStore store, string study, CancellationToken cancellationToken)
    {
        var trials = await store.LoadTrialsAsync(cancellationToken);
        var results = new RunResults { Suite = suite.Name, StartedUtc = trials.Count == 0 ? DateTimeOffset.UtcNow : trials.Min(t => t.FinishedUtc) };
        foreach (var (spec, i) in suite.Experiments.Select((s, i) => (s, i)))
        {
            if (spec.AutoML is not null)
            {
                results.Experiments.Add(await SearchResultAsync(spec, store, SearchStudy(study, spec.Name), cancellationToken));
                continue;
            }
            ExperimentResult? merged = null;
            var jobs = trials.Where(t => Convert.ToInt32(t.Config.Parameters["experiment"], CultureInfo.InvariantCulture) == i)
                .OrderBy(t => Convert.ToInt32(t.Config.Parameters["candidate"], CultureInfo.InvariantCulture)).ToArray();
            var runs = new List<(StoredTrial Job, TrialResult Trial)>();
            foreach (var job in jobs)
            {
                if (await store.LoadArtifactAsync(job.Number, ResultArtifact, cancellationToken) is { } bytes)
                {
                    var part = JsonSerializer.Deserialize<ExperimentResult>(bytes, ResultsFile.JsonOptions)!;
                    var trial = part.Trials.Single();
                    if (merged is null)
                    {
                        merged = part;
                        merged.Trials.Clear();
                        merged.CandidateDefaults = null;
                    }
                    foreach (var (name, defaults) in part.CandidateDefaults ?? []) (merged.CandidateDefaults ??= [])[name] = defaults;
                    runs.Add((job, trial));
                }
                else runs.Add((job, new TrialResult { Candidate = job.Config.Trainer, Status = TrialStatus.Failed, Reason = job.Reason ?? "its job never finished" }));
            }
            merged ??= new ExperimentResult { Name = spec.Name, Task = spec.Task.ToName() };
            foreach (var (job, trial) in runs)
            {
                trial.Worker = job.Worker;
                trial.Attempts = job.Attempts;
                merged.Trials.Add(trial);
            }
            var rule = Comparer<TrialResult>.Create((a, b) => SelectionRule.Compare(a, b, merged.PrimaryMetric, merged.HigherIsBetter));
            var best = runs.Where(r => SelectionRule.IsScored(r.Trial, merged.PrimaryMetric)).OrderBy(r => r.Trial, rule).FirstOrDefault();
            merged.Best = best.Trial?.Candidate;
            if (best.Job is not null && spec.ModelPath is { } path && await store.LoadArtifactAsync(best.Job.Number, ModelArtifact, cancellationToken) is { } bundle)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllBytesAsync(path, bundle, cancellationToken);
            }
            results.Experiments.Add(merged);
        }
        return results;
    }

    /// <summary>
    /// An AutoML experiment as its study's finalizer kept it (every process finalizes the searches before it may claim
    /// the suite's finalize job), with its model written to the experiment's model path here.
    /// </summary>
    private static async Task<ExperimentResult> SearchResultAsync(ExperimentSpec spec, PostgresStudyStore store, string name, CancellationToken cancellationToken)
    {
        if (await store.GetResultsAsync(name, cancellationToken) is not { Results: { } json })
            throw new WorkbenchInputException($"The study '{name}' of the AutoML experiment '{spec.Name}' has no results: it was not finalized (was its finalizer stopped?).");
        var result = JsonSerializer.Deserialize<RunResults>(json, ResultsFile.JsonOptions)!.Experiments.Single();
        if (spec.ModelPath is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var written = await store.WriteOutputsAsync(name, Path.GetDirectoryName(path)!, cancellationToken);
            if (result.AutoML is { } info) info.ModelPath = written.Any(w => Path.GetFullPath(w) == Path.GetFullPath(path)) ? path : null;
        }
        return result;
    }

    private static IReadOnlyList<string> Candidates(ExperimentSpec spec) => spec.Candidates.Count > 0 ? spec.Candidates : TaskFamilies.CandidateNames(spec.Task);

    // The suite file's hash covers every setting; the data files' hashes are checked where they are loaded.
    private static string Fingerprint(Suite suite) => $"suite={suite.Sha256}";

    private static ExperimentSpec Copy(ExperimentSpec spec, string data, string? test, string? validation, IReadOnlyList<string> candidates, string? model,
        AutoMLOptions? automl = null) => spec with
    {
        DataPath = data, TestPath = test, ValidationPath = validation, Candidates = candidates, ModelPath = model, AutoML = automl ?? spec.AutoML,
    };
}
