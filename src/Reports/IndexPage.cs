using System.Globalization;
using System.Text;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>The index of all runs in a reports folder: one row per run, newest first, linking to each report.</summary>
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
                <caption>Every run's suite, when it started, and the best model of each experiment.<span class="sort-hint"> Click a column heading to sort.</span></caption>
                <thead><tr><th scope="col" data-sort="text">Suite</th><th scope="col" class="num" data-sort="num" data-first="descending">Started (UTC)</th><th scope="col" class="num" data-sort="num">Experiments</th><th scope="col">Best per experiment</th></tr></thead>
                <tbody>

                """);
            foreach (var (link, results) in ordered)
            {
                var suite = string.IsNullOrWhiteSpace(results.Suite) ? "unnamed run" : results.Suite;
                var started = results.StartedUtc == default ? "unknown" : results.StartedUtc.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
                var experiments = results.Experiments ?? [];
                html.Append($"<tr class=\"run\"><td class=\"suite\"><a href=\"{E(link)}\">{E(suite)}</a>{(results.Completed ? "" : "<span class=\"tag warn\">interrupted</span>")}</td>" +
                            $"<td class=\"num started\" data-v=\"{results.StartedUtc.ToUnixTimeSeconds()}\">{started}</td>" +
                            $"<td class=\"num count\" data-v=\"{experiments.Count}\">{experiments.Count}</td><td class=\"best\">{BestList(experiments)}</td></tr>\n");
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

    private static string BestList(List<ExperimentResult> experiments)
    {
        if (experiments.Count == 0) return Missing;
        var items = experiments.Select((e, i) =>
        {
            // The same analysis as the run's page, so the same model and score appear in both.
            var a = new ExperimentAnalysis(e, i + 1, compare: false);
            var what = a.Shipped is null ? "no model" : $"<strong class=\"shipped\">{E(a.ShippedName)}</strong>";
            var value = a.ShippedTest is { } score ? $", test {E(e.PrimaryMetric)} <span class=\"shipped-test\">{NumberFormat.Significant(score)}</span>" : "";
            return $"<li>{E(e.Name)}: {what}{value}</li>";
        });
        return $"<ul class=\"best\">{string.Concat(items)}</ul>";
    }
}
