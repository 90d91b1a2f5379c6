using System.Text;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>One line per experiment: the chosen model, its score, and whether it is really better than the runner-up.</summary>
internal static class SummarySection
{
    public static void Append(StringBuilder html, List<ExperimentAnalysis> analyses)
    {
        html.Append("<section class=\"summary\" aria-labelledby=\"summary\">\n<h2 id=\"summary\">Summary</h2>\n");
        if (analyses.Count == 0)
        {
            html.Append("<p class=\"note\">The results file holds no experiments.</p>\n</section>\n");
            return;
        }
        html.Append("<ul>\n");
        foreach (var a in analyses)
        {
            var e = a.Experiment;
            var trials = e.Trials ?? [];
            var succeeded = trials.Count(t => t.Status == TrialStatus.Succeeded);
            html.Append($"<li><a href=\"#{a.Anchor}\">{E(e.Name)}</a> ({E(e.Task)}): {Best(a)} ({ExperimentSection.Direction(e)}); " +
                        $"{succeeded} of {Count(trials.Count, "trial")} succeeded.");
            if (a.Verdict() is { } verdict) html.Append($" {E(verdict)}");
            html.Append("</li>\n");
        }
        html.Append("</ul>\n</section>\n");
    }

    private static string Best(ExperimentAnalysis a)
    {
        var pm = E(a.Metric);
        if (a.Final is { Status: not TrialStatus.Succeeded } failed)
            return $"the final refit of <strong>{E(failed.Candidate)}</strong> from a {E(a.Experiment.AutoML!.Tuner)} search {E(failed.Status)}";
        if (a.Shipped is not null)
            return $"selected <strong class=\"shipped\">{E(a.ShippedName)}</strong> by {E(a.BasisLabel)}{(a.Final is null ? "" : $" in a {E(a.Experiment.AutoML!.Tuner)} search")}, " +
                   $"test {pm} <strong class=\"shipped-test\">{MetricText(a.ShippedTest)}</strong>";
        if (a.Ranked.FirstOrDefault() is { } top)
            return $"no model was selected; best <strong>{E(TrialRanking.Name(top.Trial))}</strong> by {E(a.BasisLabel)}: <strong>{MetricText(top.Score)}</strong>";
        return "no candidate produced a score";
    }
}
