using System.CommandLine;
using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Spectre.Console;

namespace MLWorkbench.Cli.Commands;

/// <summary>
/// What every run ends with: results.json, the leaderboard on the console, the HTML report, and the index of runs. A run
/// writes inside its output folder only; the index of runs goes where the user asked for it (<c>--index DIR</c>) or, by
/// default, into the folder above the output when that folder is a <c>reports</c> folder (<c>reports/&lt;suite&gt;/</c>),
/// and never over an <c>index.html</c> that MLWorkbench did not write.
/// </summary>
internal static partial class RunOutput
{
    /// <summary>Temporary files older than this are left over from a run that was killed: no write takes this long.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    /// <summary>The <c>--index DIR</c> option that <c>run</c> and <c>automl</c> share.</summary>
    public static Option<DirectoryInfo?> IndexOption() => new("--index")
    {
        Description = "Also refresh DIR/index.html, the index of every run in DIR (default: the folder above the output, when it is named 'reports').",
    };

    /// <summary>Where the index of runs goes: <paramref name="requested"/>, else the output's parent when it is a <c>reports</c> folder, else nowhere.</summary>
    public static string? IndexFolder(string outputDirectory, DirectoryInfo? requested)
    {
        if (requested is not null) return requested.FullName;
        var parent = Path.GetDirectoryName(Path.GetFullPath(outputDirectory).TrimEnd(Path.DirectorySeparatorChar));
        return parent is not null && Path.GetFileName(parent) == "reports" ? parent : null;
    }

    /// <summary>
    /// Deletes temporary files that an earlier, killed run left in <paramref name="outputDirectory"/> (results.json,
    /// bundle and report temporaries, which carry unique names); a file younger than a few minutes may be another
    /// writer's and is kept.
    /// </summary>
    public static void CleanStaleTemporaryFiles(string outputDirectory, DateTimeOffset? now = null)
    {
        if (!Directory.Exists(outputDirectory)) return;
        var cutoff = (now ?? DateTimeOffset.UtcNow) - StaleAfter;
        foreach (var file in Directory.EnumerateFiles(outputDirectory, "*.tmp"))
        {
            if (!OurTemporary().IsMatch(Path.GetFileName(file)) || File.GetLastWriteTimeUtc(file) > cutoff.UtcDateTime) continue;
            try
            {
                File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process holds it, or it is not ours to delete: leave it.
            }
        }
    }

    // results.json.<32 hex>.tmp (and the old fixed results.json.tmp), model.mlwb.<32 hex>.tmp, .index.html.<32 hex>.tmp.
    [GeneratedRegex(@"^\.?[^/\\]+\.(json|mlwb|html)(\.[0-9a-f]{32})?\.tmp$")]
    private static partial Regex OurTemporary();

    public static async Task<int> FinishAsync(RunResults results, string outputDirectory, string? indexFolder, IAnsiConsole console, TextWriter output, TextWriter error,
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
        if (indexFolder is not null) await RefreshIndexAsync(indexFolder, output, error);
        if (!results.Completed)
        {
            await error.WriteLineAsync("Interrupted: results.json and the report hold what finished; run the same command again to resume AutoML studies.");
            return ExitCodes.Interrupted;
        }
        return ExitCodes.Success;
    }

    /// <summary>Refreshes the index of runs in <paramref name="folder"/>; a failure here loses nothing, and a page MLWorkbench did not write is left alone.</summary>
    private static async Task RefreshIndexAsync(string folder, TextWriter output, TextWriter error)
    {
        var page = Path.Combine(folder, "index.html");
        if (File.Exists(page) && !WrittenByUs(page))
        {
            await error.WriteLineAsync($"The index of runs was not written: '{page}' exists and was not written by MLWorkbench (pass --index DIR to choose another folder).");
            return;
        }
        var (code, message) = await ReportRendererProcess.RenderIndexAsync(folder, CancellationToken.None);
        if (code != 0) await error.WriteLineAsync($"The index of runs in '{folder}' was not updated: {message}");
        else await output.WriteLineAsync($"Index of runs: {page}");
    }

    private static bool WrittenByUs(string page)
    {
        try
        {
            using var reader = new StreamReader(page);
            var head = new char[64 * 1024];
            var read = reader.ReadBlock(head, 0, head.Length);
            return new string(head, 0, read).Contains("MLWorkbench reports", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
