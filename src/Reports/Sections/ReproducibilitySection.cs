using System.Text;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>What it takes to run the suite again and get the same page: command, seed, suite and data hashes, software, machine.</summary>
internal static class ReproducibilitySection
{
    public static void Append(StringBuilder html, RunResults results)
    {
        var env = results.Environment ?? new EnvironmentInfo();
        html.Append($"""

            <section class="reproducibility" aria-labelledby="reproducibility">
            <h2 id="reproducibility">Reproducibility</h2>
            <dl class="facts">
            <dt>Command</dt><dd><code>{E(env.CommandLine)}</code></dd>
            <dt>Seed</dt><dd>{env.Seed}</dd>
            <dt>Suite SHA-256</dt><dd>{(string.IsNullOrEmpty(env.SuiteSha256) ? "<span class=\"na\">none (not run from a suite file)</span>" : $"<code>{E(env.SuiteSha256)}</code>")}</dd>
            <dt>Run</dt><dd>{HtmlReport.RunTime(results)}{(results.Completed ? "" : ", interrupted")}</dd>
            <dt>OS</dt><dd>{E(env.Os)}</dd>
            <dt>CPU</dt><dd>{E(env.Cpu)}, {Count(env.CpuCount, "logical core")}</dd>
            <dt>.NET</dt><dd>{E(env.Dotnet)}</dd>
            <dt>Device</dt><dd>{E(env.Device)}</dd>
            <dt>Results schema</dt><dd>{E(results.SchemaVersion)}</dd>
            </dl>

            """);
        var datasets = (results.Experiments ?? []).Select(e => e.Dataset ?? new DatasetInfo())
            .GroupBy(d => (d.Path, d.Sha256)).Select(g => g.First()).ToList();
        if (datasets.Count > 0)
        {
            html.Append("<div class=\"table-wrap\">\n<table class=\"datasets\">\n<caption>Data files: a different SHA-256 means different data.</caption>\n<thead><tr><th scope=\"col\">Dataset</th><th scope=\"col\">File</th><th scope=\"col\" class=\"num\">Rows</th><th scope=\"col\">SHA-256</th></tr></thead>\n<tbody>\n");
            foreach (var d in datasets)
                html.Append($"<tr><td>{E(d.Name)}</td><td><code>{E(d.Path)}</code></td><td class=\"num\">{N(d.Rows)}</td><td><code class=\"hash\">{E(d.Sha256)}</code></td></tr>\n");
            html.Append("</tbody>\n</table>\n</div>\n");
        }
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
}
