using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MLWorkbench.Results;

namespace MLWorkbench.Reports;

/// <summary>
/// Renders a run's results as one self-contained HTML page: inline CSS and SVG charts, no script,
/// nothing fetched from anywhere. Every string from the results is HTML-encoded.
/// </summary>
public static class HtmlReport
{
    private static readonly Lazy<string> Css = new(() =>
    {
        using var stream = typeof(HtmlReport).Assembly.GetManifestResourceStream("report.css")
            ?? throw new InvalidOperationException("The embedded style sheet is missing from the program.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>Renders the page.</summary>
    /// <param name="results">A run's results, as <see cref="ResultsFile.Read"/> returns them.</param>
    /// <returns>The complete HTML document.</returns>
    public static string Render(RunResults results)
    {
        var html = new StringBuilder(64 * 1024);
        var suite = string.IsNullOrWhiteSpace(results.Suite) ? "MLWorkbench run" : results.Suite;
        var experiments = results.Experiments ?? [];
        html.Append($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="mlwb-report">
            <title>{E(suite)} · MLWorkbench report</title>
            <style>
            {Css.Value}</style>
            </head>
            <body>
            <main>
            <header>
            <p class="kicker">MLWorkbench report</p>
            <h1>{E(suite)}</h1>
            <p class="meta">{RunTime(results)} · {Count(experiments.Count, "experiment")} · seed {results.Environment?.Seed ?? 0}</p>
            </header>

            """);
        AppendSummary(html, experiments);
        for (var i = 0; i < experiments.Count; i++)
            AppendExperiment(html, experiments[i], i + 1);
        AppendReproducibility(html, results);
        html.Append($"""
            <footer>Written by mlwb-report from a results file of schema {E(results.SchemaVersion)}. The page is self-contained: no scripts, nothing loaded from elsewhere.</footer>
            </main>
            </body>
            </html>

            """);
        return html.ToString();
    }

    /// <summary>
    /// Renders the page and writes it to <paramref name="path"/> through a temporary file in the same
    /// folder, so that the file is either the old page or the whole new one, never half of one.
    /// </summary>
    /// <param name="results">A run's results.</param>
    /// <param name="path">The HTML file to create or replace; its folder is created if missing.</param>
    public static void Write(RunResults results, string path)
    {
        var html = Render(results);
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

    private static void AppendSummary(StringBuilder html, List<ExperimentResult> experiments)
    {
        html.Append("<section class=\"summary\" aria-labelledby=\"summary\">\n<h2 id=\"summary\">Summary</h2>\n");
        if (experiments.Count == 0)
        {
            html.Append("<p class=\"note\">The results file holds no experiments.</p>\n</section>\n");
            return;
        }
        html.Append("<ul>\n");
        for (var i = 0; i < experiments.Count; i++)
        {
            var e = experiments[i];
            var trials = e.Trials ?? [];
            var succeeded = trials.Count(t => t.Status == TrialStatus.Succeeded);
            html.Append($"<li><a href=\"#experiment-{i + 1}\">{E(e.Name)}</a> ({E(e.Task)}): ");
            var selected = Selected(e);
            var top = TrialRanking.Rank(e).FirstOrDefault(r => r.Rank == 1);
            if (selected is not null)
                html.Append($"best <strong>{E(selected.Candidate)}</strong> (selected by validation {E(e.PrimaryMetric)}), " +
                            $"test {E(e.PrimaryMetric)} <strong>{MetricText(TrialRanking.TestPrimary(selected, e.PrimaryMetric))}</strong>");
            else if (top is not null)
                html.Append($"best <strong>{E(top.Trial.Candidate)}</strong> by test {E(e.PrimaryMetric)}: <strong>{MetricText(top.TestPrimary)}</strong>");
            else
                html.Append("no candidate produced a test score");
            html.Append($" ({Direction(e)}); {succeeded} of {Count(trials.Count, "trial")} succeeded.</li>\n");
        }
        html.Append("</ul>\n</section>\n");
    }

    private static void AppendExperiment(StringBuilder html, ExperimentResult e, int number)
    {
        var dataset = e.Dataset ?? new DatasetInfo();
        html.Append($"""

            <section class="experiment" id="experiment-{number}" aria-labelledby="experiment-{number}-title">
            <h2 id="experiment-{number}-title">{E(e.Name)}</h2>
            <p class="meta">{E(e.Task)} · {E(dataset.Name)}, {dataset.Rows.ToString("N0", CultureInfo.InvariantCulture)} rows · ranked by test {E(e.PrimaryMetric)} ({Direction(e)})</p>

            """);
        var ranking = TrialRanking.Rank(e);
        AppendLeaderboard(html, e, ranking);
        AppendCharts(html, e, ranking);
        AppendData(html, e);
        html.Append("</section>\n");
    }

    private static void AppendLeaderboard(StringBuilder html, ExperimentResult e, List<RankedTrial> ranking)
    {
        var pm = e.PrimaryMetric;
        var others = ranking.SelectMany(r => r.Trial.Metrics?.Test?.Keys ?? Enumerable.Empty<string>())
            .Where(k => k != pm).Distinct().ToList();
        var selected = Selected(e);
        html.Append($"""
            <h3>Leaderboard</h3>
            <div class="table-wrap">
            <table class="leaderboard">
            <caption>Candidates ranked by test {E(pm)} ({Direction(e)}). Failed and skipped candidates are listed last, unranked. “Selected” marks the candidate chosen by validation {E(pm)}.</caption>
            <thead><tr><th scope="col" class="num">#</th><th scope="col">Candidate</th><th scope="col">Family</th><th scope="col">Status</th><th scope="col" class="num primary">Validation {E(pm)}</th><th scope="col" class="num primary">Test {E(pm)}</th>
            """);
        foreach (var metric in others)
            html.Append($"<th scope=\"col\" class=\"num\">Test {E(metric)}</th>");
        var columns = 9 + others.Count;
        html.Append("<th scope=\"col\" class=\"num\">Train s</th><th scope=\"col\" class=\"num\">Predict µs/row</th><th scope=\"col\">Hyperparameters</th></tr></thead>\n<tbody>\n");

        foreach (var (rank, trial, _) in ranking)
        {
            var rowClass = rank is { } r ? $"trial rank-{r}" : "trial unranked";
            var succeeded = trial.Status == TrialStatus.Succeeded;
            html.Append($"<tr class=\"{rowClass}\">");
            html.Append($"<td class=\"num rank\">{(rank is { } n ? n.ToString(CultureInfo.InvariantCulture) : "–")}</td>");
            html.Append($"<td class=\"candidate\">{E(trial.Candidate)}{(ReferenceEquals(trial, selected) ? "<span class=\"tag\">selected</span>" : "")}</td>");
            html.Append($"<td class=\"family\">{E(trial.Family)}</td>");
            html.Append($"<td class=\"status\"><span class=\"status {StatusClass(trial.Status)}\">{E(trial.Status)}</span></td>");
            html.Append($"<td class=\"num primary validation\">{MetricCell(trial.Metrics?.Validation, pm)}</td>");
            html.Append($"<td class=\"num primary test\">{MetricCell(trial.Metrics?.Test, pm)}</td>");
            foreach (var metric in others)
                html.Append($"<td class=\"num metric\" data-metric=\"{E(metric)}\">{MetricCell(trial.Metrics?.Test, metric)}</td>");
            html.Append($"<td class=\"num seconds\">{NumberFormat.Significant(trial.TrainSeconds)}</td>");
            html.Append($"<td class=\"num predict\">{(succeeded ? NumberFormat.Significant(trial.PredictMicrosecondsPerRow) : "<span class=\"na\">–</span>")}</td>");
            html.Append($"<td class=\"hyperparameters\">{HyperparametersHtml(trial.Hyperparameters)}</td>");
            html.Append("</tr>\n");
            // The reason gets a row of its own: it can be a long exception message.
            if (!string.IsNullOrWhiteSpace(trial.Reason))
                html.Append($"<tr class=\"reason-row {rowClass}\"><td></td><td colspan=\"{columns - 1}\">{ReasonHtml(trial.Status, trial.Reason)}</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n</div>\n");
    }

    private static void AppendCharts(StringBuilder html, ExperimentResult e, List<RankedTrial> ranking)
    {
        var pm = e.PrimaryMetric;
        var ranked = ranking.Where(r => r.Rank is not null).ToList();
        var curved = ranking.Where(r => (r.Trial.Curves ?? []).Any(c => c.Values is { Count: > 0 })).ToList();
        html.Append("<h3>Charts</h3>\n");
        if (ranked.Count == 0 && curved.Count == 0)
        {
            html.Append("<p class=\"note\">No candidate has a test score or a learning curve to chart.</p>\n");
            return;
        }
        html.Append("<div class=\"charts\">\n");
        var metricLabel = $"test {pm} ({Direction(e)})";
        if (ranked.Count > 0)
        {
            var names = ranked.Select(r => r.Trial.Candidate).ToArray();
            var values = ranked.Select(r => r.TestPrimary!.Value).ToArray();
            AppendFigure(html, Charts.Leaderboard($"Test {pm} by candidate", metricLabel, names, values),
                $"Test {pm} of every candidate that succeeded, best first ({Direction(e)}); the best is green.");
            AppendFigure(html,
                Charts.MetricVersusTrainTime($"Test {pm} against training time", metricLabel, names,
                    [.. ranked.Select(r => r.Trial.TrainSeconds)], values, highlight: 0),
                $"Each point is a candidate: further left trains faster, {(e.HigherIsBetter ? "higher" : "lower")} scores better.");
        }
        foreach (var (_, trial, _) in curved)
        {
            var groups = trial.Curves.Where(c => c.Values is { Count: > 0 }).GroupBy(c => c.Per ?? "step").ToList();
            foreach (var group in groups)
            {
                var curves = group.ToList();
                var names = curves.Select(c => c.Name ?? "").ToArray();
                var title = $"{trial.Candidate}: {string.Join(" and ", names)}";
                if (title.Length > 60) title = $"{trial.Candidate}: learning curves";
                var status = trial.Status == TrialStatus.Succeeded ? "" : $" The trial {trial.Status}.";
                AppendFigure(html,
                    Charts.Curves(title, group.Key, CommonMeasure(names), names, [.. curves.Select(c => c.Values.ToArray())]),
                    $"{trial.Candidate} ({trial.Family}): {string.Join(", ", names)} per {group.Key}, as recorded while it trained.{status}");
            }
        }
        html.Append("</div>\n");
    }

    private static void AppendFigure(StringBuilder html, string svg, string caption) =>
        html.Append($"<figure class=\"chart\">\n{svg}<figcaption>{E(caption)}</figcaption>\n</figure>\n");

    private static void AppendData(StringBuilder html, ExperimentResult e)
    {
        var d = e.Dataset ?? new DatasetInfo();
        var s = e.Split ?? new SplitInfo();
        var features = d.Features ?? [];
        html.Append($"""
            <h3>Data</h3>
            <dl class="facts">
            <dt>Dataset</dt><dd>{E(d.Name)}</dd>
            <dt>File</dt><dd><code>{E(d.Path)}</code></dd>
            <dt>SHA-256</dt><dd><code>{E(d.Sha256)}</code></dd>
            <dt>Rows × columns</dt><dd>{N(d.Rows)} × {N(d.Columns)}</dd>
            <dt>Label</dt><dd><code>{E(d.Label)}</code></dd>
            <dt>Features ({features.Count})</dt><dd>{string.Join(", ", features.Select(f => $"<code>{E(f)}</code>"))}</dd>
            <dt>Split</dt><dd>{E(s.Kind)}, seed {s.Seed}: {N(s.TrainRows)} train, {N(s.ValidationRows)} validation, {N(s.TestRows)} test rows</dd>
            </dl>

            """);
    }

    private static void AppendReproducibility(StringBuilder html, RunResults results)
    {
        var env = results.Environment ?? new EnvironmentInfo();
        html.Append($"""

            <section class="reproducibility" aria-labelledby="reproducibility">
            <h2 id="reproducibility">Reproducibility</h2>
            <dl class="facts">
            <dt>Command</dt><dd><code>{E(env.CommandLine)}</code></dd>
            <dt>Seed</dt><dd>{env.Seed}</dd>
            <dt>Suite SHA-256</dt><dd>{(string.IsNullOrEmpty(env.SuiteSha256) ? "<span class=\"na\">none (not run from a suite file)</span>" : $"<code>{E(env.SuiteSha256)}</code>")}</dd>
            <dt>Run</dt><dd>{RunTime(results)}</dd>
            <dt>OS</dt><dd>{E(env.Os)}</dd>
            <dt>CPU</dt><dd>{E(env.Cpu)}, {Count(env.CpuCount, "logical core")}</dd>
            <dt>.NET</dt><dd>{E(env.Dotnet)}</dd>
            <dt>Device</dt><dd>{E(env.Device)}</dd>
            <dt>Results schema</dt><dd>{E(results.SchemaVersion)}</dd>
            </dl>

            """);
        var packages = env.Packages ?? [];
        if (packages.Count > 0)
        {
            html.Append("<table class=\"packages\">\n<caption>Package versions</caption>\n<thead><tr><th scope=\"col\">Package</th><th scope=\"col\">Version</th></tr></thead>\n<tbody>\n");
            foreach (var (name, version) in packages)
                html.Append($"<tr><td>{E(name)}</td><td><code>{E(version)}</code></td></tr>\n");
            html.Append("</tbody>\n</table>\n");
        }
        html.Append("</section>\n");
    }

    private static TrialResult? Selected(ExperimentResult e) =>
        e.Best is null ? null : (e.Trials ?? []).FirstOrDefault(t => t.Candidate == e.Best && t.Status == TrialStatus.Succeeded);

    private static string RunTime(RunResults results)
    {
        if (results.StartedUtc == default) return "run time unknown";
        var started = results.StartedUtc.ToUniversalTime();
        var text = $"run {started.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC";
        if (results.FinishedUtc >= results.StartedUtc)
            text += $", took {NumberFormat.Duration(results.FinishedUtc - results.StartedUtc)}";
        return text;
    }

    private static string Direction(ExperimentResult e) => e.HigherIsBetter ? "higher is better" : "lower is better";

    private static string StatusClass(string status) => status switch
    {
        TrialStatus.Succeeded => "succeeded",
        TrialStatus.Failed => "failed",
        _ => "skipped",
    };

    // A full exception message can run to kilobytes; show its start and fold the rest away.
    private static string ReasonHtml(string status, string reason)
    {
        const int shown = 240;
        var label = $"<span class=\"label\">{(status == TrialStatus.Skipped ? "Skipped" : "Failed")}:</span> ";
        var text = reason.Trim();
        if (text.Length <= shown) return $"<p class=\"reason\">{label}{E(text)}</p>";
        var cut = text.LastIndexOf(' ', shown);
        var head = text[..(cut > shown / 2 ? cut : shown)];
        return $"<details class=\"reason\"><summary>{label}{E(head)} …</summary><p>{E(text)}</p></details>";
    }

    private static string MetricCell(Dictionary<string, double>? metrics, string name) =>
        metrics is not null && metrics.TryGetValue(name, out var value) ? NumberFormat.Significant(value) : "<span class=\"na\">–</span>";

    private static string MetricText(double? value) => value is { } v ? NumberFormat.Significant(v) : "–";

    private static string HyperparametersHtml(Dictionary<string, object?>? hyperparameters)
    {
        if (hyperparameters is null || hyperparameters.Count == 0) return "<span class=\"na\">–</span>";
        var items = hyperparameters.Select(p => $"<li><span class=\"k\">{E(p.Key)}</span>=<span class=\"v\">{E(ValueText(p.Value))}</span></li>");
        return $"<ul class=\"hp\">{string.Concat(items)}</ul>";
    }

    // Values keep the text they had in the file (0.001 stays 0.001): they are settings, not measurements.
    private static string ValueText(object? value) => value switch
    {
        null => "null",
        JsonElement { ValueKind: JsonValueKind.String } s => s.GetString() ?? "",
        JsonElement { ValueKind: JsonValueKind.Array or JsonValueKind.Object } j => JsonSerializer.Serialize(j),
        JsonElement j => j.GetRawText(),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    // "train loss" and "validation loss" measure "loss"; anything else is a "value".
    private static string CommonMeasure(string[] names)
    {
        var last = names.Select(n => n.Trim().Split(' ').Last()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (names.Length == 1) return names[0];
        return last.Count == 1 && last[0].Length > 0 ? last[0] : "value";
    }

    private static string Count(int n, string noun) => $"{n.ToString("N0", CultureInfo.InvariantCulture)} {noun}{(n == 1 ? "" : "s")}";

    private static string N(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
