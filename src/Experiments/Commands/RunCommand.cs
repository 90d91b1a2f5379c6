using System.CommandLine;
using System.Globalization;
using MLWorkbench.Cli.Suites;
using MLWorkbench.Experiments;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using Spectre.Console;

namespace MLWorkbench.Cli.Commands;

/// <summary>
/// <c>mlwb run SUITE</c>: checks the whole suite and its data first, runs every experiment, writes
/// <c>results.json</c> and then the HTML report into the suite's output folder.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error, string commandLine)
    {
        var suiteArgument = new Argument<FileInfo>("suite") { Description = "The suite file (YAML) to run." };
        var command = new Command("run", "Run a suite of experiments and write results.json and the HTML report.") { suiteArgument };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(suiteArgument)!.FullName, output, error, commandLine, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string suitePath, TextWriter output, TextWriter error, string commandLine, CancellationToken cancellationToken)
    {
        // Everything that bad input can break is checked before the first model trains or any file is written.
        var suite = SuiteReader.Read(suitePath);
        var prepared = suite.Experiments.Select(PreparedExperiment.Prepare).ToList();

        var console = Consoles.For(output);
        var results = new RunResults
        {
            Suite = suite.Name,
            StartedUtc = DateTimeOffset.UtcNow,
            Environment = EnvironmentProbe.Capture(suite.Seed, DeviceName(suite), commandLine, suite.Sha256),
        };
        var runner = new ExperimentRunner();
        var total = prepared.Sum(p => p.Candidates.Count);
        var done = 0;
        foreach (var experiment in prepared)
        {
            var result = await ProgressView.RunAsync(console, experiment.Spec.Name, experiment.Candidates.Count,
                reporter => runner.RunAsync(experiment, reporter, cancellationToken), done, total);
            done += experiment.Candidates.Count;
            results.Experiments.Add(result);
            if (cancellationToken.IsCancellationRequested) break;
        }
        results.FinishedUtc = DateTimeOffset.UtcNow;
        results.Completed = !cancellationToken.IsCancellationRequested;

        var resultsPath = Path.Combine(suite.OutputDirectory, "results.json");
        ResultsFile.Write(results, resultsPath);
        Leaderboard.Write(console, results);
        await output.WriteLineAsync($"Results: {resultsPath}");
        if (!results.Completed)
        {
            await error.WriteLineAsync("Interrupted: the results file holds the trials that finished; no report was rendered.");
            return ExitCodes.Interrupted;
        }
        var (code, message) = await ReportRendererProcess.RenderAsync(resultsPath, null, CancellationToken.None);
        if (code != 0)
        {
            await error.WriteLineAsync(message.Length > 0 ? message : $"The report renderer failed with exit code {code}.");
            return ExitCodes.Failure;
        }
        await output.WriteLineAsync($"Report: {Path.Combine(suite.OutputDirectory, "index.html")}");
        return ExitCodes.Success;
    }

    private static string DeviceName(Suite suite)
    {
        var torch = suite.Experiments.Any(e => e.Candidates.Count == 0 || e.Candidates.Any(c => c is "mlp" or "linear-gd"));
        if (!torch) return "cpu";
        try
        {
            var (_, name, note) = ComputeDevices.Resolve(suite.Device);
            return note is null ? name : $"{name} ({note})";
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
        {
            return "cpu (TorchSharp's native library could not be loaded)";
        }
    }

    /// <summary>The leaderboard of each experiment as a table: rank by the test primary metric.</summary>
    private static class Leaderboard
    {
        public static void Write(IAnsiConsole console, RunResults results)
        {
            foreach (var experiment in results.Experiments)
            {
                var metric = experiment.PrimaryMetric;
                var table = new Table().Title($"[bold]{Markup.Escape(experiment.Name)}[/] ({Markup.Escape(experiment.Task)}, {experiment.Dataset.Rows} rows)");
                table.AddColumns("#", "candidate", "family", $"validation {metric}", $"test {metric}", "train s", "µs/row", "status");
                var ranked = experiment.Trials
                    .OrderBy(t => t.Status == TrialStatus.Succeeded ? 0 : 1)
                    .ThenBy(t => t.Metrics.Test.TryGetValue(metric, out var v) ? v * (experiment.HigherIsBetter ? -1 : 1) : double.MaxValue);
                var rank = 0;
                foreach (var t in ranked)
                {
                    var ok = t.Status == TrialStatus.Succeeded;
                    table.AddRow(ok ? (++rank).ToString(CultureInfo.InvariantCulture) : "-", Markup.Escape(t.Candidate), t.Family,
                        Format(t.Metrics.Validation, metric), Format(t.Metrics.Test, metric),
                        t.TrainSeconds.ToString("0.00", CultureInfo.InvariantCulture),
                        ok ? t.PredictMicrosecondsPerRow.ToString("0.0", CultureInfo.InvariantCulture) : "",
                        t.Status);
                }
                console.Write(table);
                foreach (var t in experiment.Trials.Where(t => t.Reason is not null))
                    console.MarkupLine($"[yellow]{Markup.Escape(t.Candidate)}[/] {t.Status}: {Markup.Escape(t.Reason!)}");
            }
        }

        private static string Format(Dictionary<string, double> metrics, string metric) =>
            metrics.TryGetValue(metric, out var v) ? v.ToString("G5", CultureInfo.InvariantCulture) : "";
    }
}
