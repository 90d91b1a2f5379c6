using System.Globalization;
using System.Text;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>One experiment: its search (if any), leaderboard, paired comparisons, charts, examples and data.</summary>
internal static class ExperimentSection
{
    public static void Append(StringBuilder html, ExperimentAnalysis a, SearchGroups searches, RunResults run)
    {
        var e = a.Experiment;
        var dataset = e.Dataset ?? new DatasetInfo();
        html.Append($"""

            <section class="experiment" id="{a.Anchor}" aria-labelledby="{a.Anchor}-title">
            <h2 id="{a.Anchor}-title">{E(e.Name)}</h2>
            <p class="meta">{E(e.Task)} · {E(dataset.Name)}, {dataset.Rows.ToString("N0", CultureInfo.InvariantCulture)} rows · ranked by {E(a.BasisLabel)} ({Direction(e)})</p>

            """);
        DecisionSection.Append(html, a);
        AutoMLSection.Append(html, a);
        LeaderboardSection.Append(html, a);
        ComparisonSection.Append(html, a);
        ChartsSection.Append(html, a, searches);
        ExamplesSection.Append(html, a);
        ModelCardSection.Append(html, a, run);
        AppendData(html, a);
        html.Append("<p class=\"back\"><a href=\"#top\">Back to top</a></p>\n</section>\n");
    }

    public static string Direction(ExperimentResult e) => e.HigherIsBetter ? "higher is better" : "lower is better";

    private static void AppendData(StringBuilder html, ExperimentAnalysis a)
    {
        var e = a.Experiment;
        var d = e.Dataset ?? new DatasetInfo();
        var s = e.Split ?? new SplitInfo();
        var features = d.Features ?? [];
        html.Append($"""
            <h3 id="{a.Anchor}-data">Data</h3>
            <dl class="facts">
            <dt>Dataset</dt><dd>{E(d.Name)}</dd>
            <dt>File</dt><dd><code>{E(d.Path)}</code></dd>
            <dt>SHA-256</dt><dd><code>{E(d.Sha256)}</code></dd>
            <dt>Rows × columns</dt><dd>{N(d.Rows)} × {N(d.Columns)}</dd>
            <dt>Label</dt><dd><code>{E(d.Label)}</code></dd>
            <dt>Features ({features.Count})</dt><dd>{string.Join(", ", features.Select(f => $"<code>{E(f)}</code>"))}</dd>

            """);
        if (d.Dropped is { Count: > 0 } dropped)
            html.Append($"<dt>Left out ({dropped.Count})</dt><dd>{string.Join("; ", dropped.Select(p => $"<code>{E(p.Key)}</code> {E(p.Value)}"))}</dd>\n");
        if (e.ClassNames is { Count: > 0 } classes)
            html.Append($"<dt>Classes ({classes.Count})</dt><dd>{string.Join(", ", classes.Select((c, i) => $"{i} <code>{E(c)}</code>"))}</dd>\n");
        html.Append($"""
            <dt>Split</dt><dd>{E(s.Kind)}, seed {s.Seed}: {N(s.TrainRows)} train, {N(s.ValidationRows)} validation, {N(s.TestRows)} test rows</dd>
            </dl>

            """);
    }
}
