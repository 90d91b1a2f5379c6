using System.Globalization;
using System.Text;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>The index of all runs in a reports folder: one row per experiment, newest run first, linking into each report.</summary>
internal static class IndexPage
{
    /// <summary>Renders the index; <paramref name="unreadable"/> lists results files that could not be read, with why.</summary>
    public static string Render(IEnumerable<(string RelativeLink, RunResults Results)> runs, IReadOnlyList<(string Path, string Problem)> unreadable)
    {
        var ordered = runs.OrderByDescending(r => r.Results.StartedUtc).ThenBy(r => r.Results.Suite, StringComparer.Ordinal).ToList();
        var html = new StringBuilder(32 * 1024);
        html.Append($"""
            <header>
            <p class="kicker">MLWorkbench reports</p>
            <h1>All runs</h1>
            <p class="meta">{Count(ordered.Count, "run")}, newest first</p>
            </header>

            """);
        if (ordered.Count == 0)
            html.Append("<p class=\"note\">No results found: a run writes <code>&lt;suite&gt;/results.json</code> here.</p>\n");
        else
        {
            html.Append("""
                <div class="table-wrap">
                <table class="runs sortable">
                <caption>One row per experiment: the model each run selected (by validation) and its test score, the same model and score as on the run's page. Runs newest first.<span class="sort-hint"> Click a column heading to sort.</span></caption>
                <thead><tr><th scope="col" data-sort="text">Suite</th><th scope="col" class="num" data-sort="num" data-first="descending">Started (UTC)</th><th scope="col" class="num" data-sort="num">Duration</th><th scope="col" data-sort="text">Status</th><th scope="col" data-sort="text">Experiment</th><th scope="col" data-sort="text">Task</th><th scope="col" data-sort="text">Metric</th><th scope="col" data-sort="text">Selected model</th><th scope="col" class="num">Test score</th><th scope="col" class="num" data-sort="num">Trials</th></tr></thead>
                <tbody>

                """);
            foreach (var (link, results) in ordered)
            {
                var suite = string.IsNullOrWhiteSpace(results.Suite) ? "unnamed run" : results.Suite;
                var started = results.StartedUtc == default ? "unknown" : results.StartedUtc.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
                var seconds = results.StartedUtc != default && results.FinishedUtc >= results.StartedUtc ? (results.FinishedUtc - results.StartedUtc).TotalSeconds : (double?)null;
                var run = $"<td class=\"suite\"><a href=\"{E(link)}\">{E(suite)}</a></td>" +
                          $"<td class=\"num started\" data-v=\"{results.StartedUtc.ToUnixTimeSeconds()}\">{started}</td>" +
                          $"<td class=\"num duration\" data-v=\"{SortValue(seconds)}\">{(seconds is { } s ? E(NumberFormat.Duration(TimeSpan.FromSeconds(s))) : Missing)}</td>";
                var experiments = results.Experiments ?? [];
                if (experiments.Count == 0)
                {
                    html.Append($"<tr class=\"run\">{run}<td class=\"status\">{RunStatus(results)}</td><td colspan=\"6\" class=\"note\">no experiments</td></tr>\n");
                    continue;
                }
                for (var i = 0; i < experiments.Count; i++)
                {
                    // The same analysis as the run's page, so the same model and score appear in both.
                    var a = new ExperimentAnalysis(experiments[i], i + 1, compare: false, results.SchemaVersion);
                    var e = a.Experiment;
                    var trials = e.Trials ?? [];
                    var succeeded = trials.Count(t => t.Status == TrialStatus.Succeeded);
                    html.Append($"<tr class=\"run\">{run}<td class=\"status\">{Status(results, a)}</td>" +
                                $"<td class=\"experiment\"><a href=\"{E(link)}#{a.Anchor}-title\">{E(e.Name)}</a></td><td class=\"task\">{E(e.Task)}</td>" +
                                $"<td class=\"metric\">{E(e.PrimaryMetric)} <span class=\"muted\">({ExperimentSection.Direction(e)})</span></td>" +
                                $"<td class=\"shipped\">{(a.Shipped is null ? Missing : $"<a href=\"{E(link)}#{a.Anchor}-decision\">{E(a.ShippedName)}</a>")}</td>" +
                                $"<td class=\"num shipped-test\">{(a.ShippedTest is { } score ? NumberFormat.Significant(score) : Missing)}</td>" +
                                $"<td class=\"num trials\" data-v=\"{trials.Count}\">{succeeded} of {trials.Count}</td></tr>\n");
                }
            }
            html.Append("</tbody>\n</table>\n</div>\n");
        }
        if (unreadable.Count > 0)
        {
            html.Append("<h2>Could not be read</h2>\n<ul class=\"unreadable\">\n");
            foreach (var (path, problem) in unreadable)
                html.Append($"<li><code>{E(path)}</code>: {E(problem)}</li>\n");
            html.Append("</ul>\n");
        }
        html.Append("<footer>Written by mlwb-report --index. Each link opens that run's self-contained report.</footer>\n");
        return Page("MLWorkbench reports", html.ToString());
    }

    private static string RunStatus(RunResults results) =>
        results.Completed ? "<span class=\"status succeeded\">completed</span>" : "<span class=\"tag warn\">interrupted</span>";

    // The run's state, and what went wrong with this experiment if anything did.
    private static string Status(RunResults results, ExperimentAnalysis a)
    {
        if (a.Final is { Status: not TrialStatus.Succeeded } final) return $"<span class=\"status failed\">final refit {E(final.Status)}</span>";
        if (a.Shipped is null) return "<span class=\"status failed\">no model</span>";
        return RunStatus(results);
    }
}
