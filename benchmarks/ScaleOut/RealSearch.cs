using System.Diagnostics;
using System.Globalization;
using MLWorkbench.AutoML;
using MLWorkbench.Results;


/// <summary>
/// A real small search spread over 1..N <c>mlwb worker</c> processes: the study is created with <c>mlwb automl
/// --create-only</c> (its data goes into the database), then N workers, each in its own folder with its own data cache,
/// run its trials and one finalizes it. Trials per second are measured over the span in which trials ran (the database's
/// record: from the first trial's start to the last one's end), beside the wall clock of the whole (process start-up,
/// data from the database, the search, the finalizer's refit and report).
/// </summary>
internal static class RealSearch
{
    public sealed record Result(double WallSeconds, double SearchSeconds, int Finished, int Retried, int Lost, double Score, string Metric, string LoadBefore, string LoadAfter);

    private static string Load1() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    public static async Task<Result> RunAsync(string connection, string study, int count, int trials, string data, string label, string trainers)
    {
        var work = Directory.CreateTempSubdirectory("mlwb-bench-search-");
        try
        {
            var (code, error) = await RunMlwbAsync(work.FullName, "automl", "--task", "regression", "--train", data, "--label", label, "--trials",
                trials.ToString(CultureInfo.InvariantCulture), "--trainers", trainers, "--storage", connection, "--study", study, "--out", Path.Combine(work.FullName, "creator"),
                "--create-only");
            if (code != 0) throw new InvalidOperationException("the study could not be created: " + error);
            var loadBefore = Load1();
            var clock = Stopwatch.StartNew();
            var workers = Enumerable.Range(0, count).Select(i =>
            {
                var folder = Directory.CreateDirectory(Path.Combine(work.FullName, $"worker{i}")).FullName;
                return RunMlwbAsync(folder, "worker", "--storage", connection, "--study", study, "--cache", "cache", "--out", "out");
            }).ToArray();
            foreach (var (exit, message) in await Task.WhenAll(workers))
                if (exit != 0) throw new InvalidOperationException($"a worker exited with {exit}: {message}");
            var wall = clock.Elapsed.TotalSeconds;
            var loadAfter = Load1();
            using var store = new PostgresStudyStore(connection);
            var results = (await store.GetResultsAsync(study))?.Results ?? throw new InvalidOperationException("nobody finalized the study");
            var experiment = System.Text.Json.JsonSerializer.Deserialize<RunResults>(results, ResultsFile.JsonOptions)!.Experiments.Single();
            var finished = experiment.Trials.Where(t => t.Number < trials).ToArray();
            // The span of the search: from the earliest trial start to the latest finish, on the database's record.
            var stored = await LoadAsync(connection, study);
            var span = stored.Max(t => t.End) - stored.Min(t => t.End.AddSeconds(-t.Seconds));
            var score = experiment.AutoML!.Final!.Metrics.Validation[experiment.PrimaryMetric];
            return new(wall, span.TotalSeconds, finished.Length, finished.Count(t => t.Attempts > 1), trials - finished.Length, score, experiment.PrimaryMetric,
                loadBefore, loadAfter);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<List<(DateTimeOffset End, double Seconds)>> LoadAsync(string connection, string study)
    {
        await using var db = new Npgsql.NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var select = new Npgsql.NpgsqlCommand(
            "SELECT t.finished_utc, t.seconds FROM mlwb_trials t JOIN mlwb_studies s ON s.id = t.study_id WHERE s.name = $1 AND t.state IN ('Complete', 'Pruned', 'Failed');", db);
        select.Parameters.Add(new Npgsql.NpgsqlParameter { Value = study });
        await using var reader = await select.ExecuteReaderAsync();
        var rows = new List<(DateTimeOffset, double)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetFieldValue<DateTimeOffset>(0), reader.GetDouble(1)));
        return rows;
    }

    internal static async Task<(int Code, string Error)> RunMlwbAsync(string folder, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mlwb.dll"));
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await error);
    }
}

/// <summary>
/// Recovery after <c>kill -9</c>: two worker processes (tests/StudyWorker) on trials that sleep; one is killed in the
/// middle of a trial, and the time until another worker has claimed that trial again is measured on the database
/// (expected: the grace period, plus the wait until the survivor next looks — at most its own trial's length or a poll).
/// </summary>
internal static class Recovery
{
    public sealed record Result(double Seconds, int Killed, int Duplicates, int Lost, int Points);

    public static async Task<Result> RunAsync(string connection, string study, int graceMs, int heartbeatMs, int trialMs, int points)
    {
        string[] common = ["--storage", connection, "--study", study, "--points", points.ToString(CultureInfo.InvariantCulture),
            "--trial-ms", trialMs.ToString(CultureInfo.InvariantCulture), "--grace-ms", graceMs.ToString(CultureInfo.InvariantCulture),
            "--heartbeat-ms", heartbeatMs.ToString(CultureInfo.InvariantCulture)];
        using (var creator = Start([.. common, "--create"]))
        {
            await creator.WaitForExitAsync();
            if (creator.ExitCode != 0) throw new InvalidOperationException("the study could not be created: " + await creator.StandardError.ReadToEndAsync());
        }
        var starts = new System.Collections.Concurrent.ConcurrentBag<int>();
        using var victim = Start(common);
        // The victim starts a trial; the survivor joins once it has, so the killed trial is the victim's.
        int killed;
        while (true)
        {
            var line = await victim.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the worker ended before it started a trial");
            if (line.StartsWith("start ", StringComparison.Ordinal)) { killed = int.Parse(line[6..], CultureInfo.InvariantCulture); break; }
        }
        using var survivor = Start(common);
        var reading = Task.Run(async () =>
        {
            while (await survivor.StandardOutput.ReadLineAsync() is { } line)
                if (line.StartsWith("start ", StringComparison.Ordinal)) starts.Add(int.Parse(line[6..], CultureInfo.InvariantCulture));
        });
        await Task.Delay(trialMs / 2);
        victim.Kill(entireProcessTree: true); // SIGKILL: no goodbye to the store
        var clock = Stopwatch.StartNew();
        await using (var db = new Npgsql.NpgsqlConnection(connection))
        {
            await db.OpenAsync();
            while (true)
            {
                await using var select = new Npgsql.NpgsqlCommand(
                    "SELECT t.attempts FROM mlwb_trials t JOIN mlwb_studies s ON s.id = t.study_id WHERE s.name = $1 AND t.number = $2 AND t.state <> 'Queued';", db);
                select.Parameters.Add(new Npgsql.NpgsqlParameter { Value = study });
                select.Parameters.Add(new Npgsql.NpgsqlParameter { Value = killed });
                if (await select.ExecuteScalarAsync() is int attempts && attempts >= 2) break;
                if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new InvalidOperationException($"trial {killed} was not claimed again within two minutes");
                await Task.Delay(20);
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        await survivor.WaitForExitAsync();
        await reading;
        using var store = new PostgresStudyStore(connection);
        await store.OpenAsync(study, "objective=sleep-grid; points=" + points.ToString(CultureInfo.InvariantCulture) + "; sampler=random; pruner=none; seed=42");
        var stored = await store.LoadTrialsAsync();
        var complete = stored.Count(t => t.State == TrialState.Complete);
        // Only the survivor's starts are seen: a number it started twice would be a duplicate.
        return new(seconds, killed, starts.GroupBy(n => n).Count(g => g.Count() > 1), points - complete, points);
    }

    private static Process Start(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MLWorkbench.Tests.StudyWorker.dll"));
        foreach (var a in arguments) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }
}
