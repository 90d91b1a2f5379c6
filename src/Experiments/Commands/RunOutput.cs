using MLWorkbench.Results;
using Spectre.Console;

namespace MLWorkbench.Cli.Commands;

/// <summary>What every run ends with: results.json, the leaderboard on the console, the HTML report.</summary>
internal static class RunOutput
{
    public static async Task<int> FinishAsync(RunResults results, string outputDirectory, IAnsiConsole console, TextWriter output, TextWriter error,
        CancellationToken cancellationToken)
    {
        results.FinishedUtc = DateTimeOffset.UtcNow;
        results.Completed = !cancellationToken.IsCancellationRequested;
        var resultsPath = Path.Combine(outputDirectory, "results.json");
        ResultsFile.Write(results, resultsPath);
        Leaderboard.Write(console, results);
        await output.WriteLineAsync($"Results: {resultsPath}");
        var (code, message) = await ReportRendererProcess.RenderAsync(resultsPath, null, CancellationToken.None);
        if (code != 0)
        {
            await error.WriteLineAsync(message.Length > 0 ? message : $"The report renderer failed with exit code {code}.");
            return ExitCodes.Failure;
        }
        await output.WriteLineAsync($"Report: {Path.Combine(outputDirectory, "index.html")}");
        // The folder above holds every run (reports/<suite>/): refresh its index page. A failure here loses nothing.
        var reports = Path.GetDirectoryName(Path.GetFullPath(outputDirectory))!;
        var (indexCode, indexMessage) = await ReportRendererProcess.RenderIndexAsync(reports, CancellationToken.None);
        if (indexCode != 0) await error.WriteLineAsync($"The index of runs in '{reports}' was not updated: {indexMessage}");
        if (!results.Completed)
        {
            await error.WriteLineAsync("Interrupted: results.json and the report hold what finished; run the same command again to resume AutoML studies.");
            return ExitCodes.Interrupted;
        }
        return ExitCodes.Success;
    }
}
