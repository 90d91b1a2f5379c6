using System.Globalization;
using System.Text;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>
/// Renders a run's results as one self-contained HTML page (inline CSS, SVG charts and one small
/// sorting script; nothing fetched from anywhere), and an index page of many runs. Every string from
/// the results is HTML-encoded.
/// </summary>
public static class HtmlReport
{
    /// <summary>Renders the page.</summary>
    /// <param name="results">A run's results, as <see cref="ResultsFile.Read"/> returns them.</param>
    /// <returns>The complete HTML document.</returns>
    public static string Render(RunResults results) => Render(results, DefaultResultsLink);

    /// <summary>Where the page links its results file when no other link is given: beside the page, as mlwb run writes them.</summary>
    public const string DefaultResultsLink = "results.json";

    /// <summary>Renders the page, linking its results file at <paramref name="resultsLink"/>.</summary>
    /// <param name="results">A run's results.</param>
    /// <param name="resultsLink">The results file as a URL relative to the page (e.g. <c>results.json</c>), or null for no link.</param>
    /// <returns>The complete HTML document.</returns>
    public static string Render(RunResults results, string? resultsLink)
    {
        var suite = string.IsNullOrWhiteSpace(results.Suite) ? "MLWorkbench run" : results.Suite;
        var analyses = (results.Experiments ?? []).Select((e, i) => new ExperimentAnalysis(e, i + 1, schemaVersion: results.SchemaVersion)).ToList();
        var searches = new SearchGroups(analyses);
        var html = new StringBuilder(256 * 1024);
        html.Append($"""
            <header id="top">
            <p class="kicker">MLWorkbench report</p>
            <h1>{E(suite)}</h1>
            <p class="meta">{RunTime(results)} · {Count(analyses.Count, "experiment")} · seed {results.Environment?.Seed ?? 0}{(resultsLink is null ? "" : $" · <a class=\"results-link\" href=\"{E(resultsLink)}\">results.json</a>")}</p>
            </header>

            """);
        if (!results.Completed)
            html.Append("<p class=\"warning\">The run was interrupted: this report shows the trials that finished before it stopped.</p>\n");
        SummarySection.Append(html, analyses);
        SearchesSection.Append(html, searches);
        foreach (var analysis in analyses)
            ExperimentSection.Append(html, analysis, searches, results);
        ReproducibilitySection.Append(html, results);
        html.Append("<p class=\"back\"><a href=\"#top\">Back to top</a></p>\n");
        html.Append($"""
            <footer>Written by mlwb-report from a results file of schema {E(results.SchemaVersion)}. The page is self-contained: one small inline script sorts the tables, nothing is loaded from elsewhere.</footer>

            """);
        return Page($"{suite} · MLWorkbench report", Contents.Insert(html.ToString()));
    }

    /// <summary>
    /// Renders the page and writes it to <paramref name="path"/> through a temporary file in the same
    /// folder, so that the file is either the old page or the whole new one, never half of one.
    /// </summary>
    /// <param name="results">A run's results.</param>
    /// <param name="path">The HTML file to create or replace; its folder is created if missing.</param>
    public static void Write(RunResults results, string path) => WriteAtomically(Render(results), path);

    /// <summary>Renders the page, linking <paramref name="resultsPath"/> relative to the page, and writes it like <see cref="Write(RunResults, string)"/>.</summary>
    /// <param name="results">A run's results.</param>
    /// <param name="path">The HTML file to create or replace.</param>
    /// <param name="resultsPath">The results file the page was rendered from.</param>
    public static void Write(RunResults results, string path, string resultsPath) =>
        WriteAtomically(Render(results, RelativeLink(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFullPath(resultsPath))), path);

    // A relative URL from the page's folder to a file: each segment percent-encoded, '/' between them.
    private static string RelativeLink(string fromFolder, string toFile) =>
        string.Join('/', Path.GetRelativePath(fromFolder, toFile).Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Select(Uri.EscapeDataString));

    /// <summary>
    /// Renders an index of many runs, newest first: one row per experiment with its run, date, duration and
    /// status, task, metric and direction, the selected model and its test score, and links into the run's report.
    /// </summary>
    /// <param name="runs">Each run's results and the link to its report, relative to the index page
    /// (e.g. <c>quickstart/index.html</c>).</param>
    /// <returns>The complete HTML document.</returns>
    public static string RenderIndex(IEnumerable<(string RelativeLink, RunResults Results)> runs) => IndexPage.Render(runs, []);

    /// <summary>Writes <paramref name="html"/> to <paramref name="path"/> through a temporary file in the same folder.</summary>
    internal static void WriteAtomically(string html, string path)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, html, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>"run 2026-11-29 05:22:40 UTC, took 51.3 s".</summary>
    internal static string RunTime(RunResults results)
    {
        if (results.StartedUtc == default) return "run time unknown";
        var started = results.StartedUtc.ToUniversalTime();
        var text = $"run {started.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC";
        if (results.FinishedUtc >= results.StartedUtc)
            text += $", took {NumberFormat.Duration(results.FinishedUtc - results.StartedUtc)}";
        return text;
    }
}
