using System.Text;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>Several AutoML searches on the same data (e.g. one per tuner), compared side by side.</summary>
internal static class SearchesSection
{
    public static void Append(StringBuilder html, SearchGroups searches)
    {
        var shared = searches.Shared.ToList();
        if (shared.Count == 0) return;
        html.Append("\n<section class=\"searches\" id=\"searches\" aria-labelledby=\"searches-title\">\n<h2 id=\"searches-title\">AutoML searches compared</h2>\n");
        foreach (var group in shared)
        {
            var first = group[0].Experiment;
            var pm = E(first.PrimaryMetric);
            html.Append($"<h3 id=\"{searches.Anchor(group)}\">{E(first.Dataset?.Name)} ({E(first.Task)}): {string.Join(", ", group.Select(a => E(a.Experiment.AutoML!.Tuner)))}</h3>\n");
            html.Append($"""
                <div class="table-wrap">
                <table class="searches">
                <caption>Searches on the same data ({E(first.Dataset?.Sha256)}), best first by the final model's test {pm}.</caption>
                <thead><tr><th scope="col">Experiment</th><th scope="col">Tuner</th><th scope="col">Pruner</th><th scope="col" class="num">Trials</th><th scope="col" class="num">Pruned</th><th scope="col" class="num">Best validation {pm}</th><th scope="col" class="num">Final test {pm}</th><th scope="col">Stopped by</th></tr></thead>
                <tbody>

                """);
            var ordered = group.OrderBy(a => a.Final is null ? 1 : 0)
                .ThenBy(a => (TrialRanking.TestPrimary(a.Final ?? new TrialResult(), a.Metric) ?? double.NaN) * (first.HigherIsBetter ? -1 : 1));
            foreach (var a in ordered)
            {
                var automl = a.Experiment.AutoML!;
                var trials = a.Experiment.Trials ?? [];
                var validations = trials.Where(t => t.Status == TrialStatus.Succeeded)
                    .Select(t => TrialRanking.Score(t, a.Metric, RankBasis.Validation)).OfType<double>().ToList();
                double? bestValidation = validations.Count == 0 ? null : first.HigherIsBetter ? validations.Max() : validations.Min();
                html.Append($"<tr><td><a href=\"#{a.Anchor}\">{E(a.Name)}</a></td><td>{E(automl.Tuner)}</td><td>{E(automl.Pruner)}</td>" +
                            $"<td class=\"num\">{N(trials.Count)}</td><td class=\"num\">{N(trials.Count(t => t.Status == TrialStatus.Pruned))}</td>" +
                            $"<td class=\"num\">{MetricHtml(bestValidation)}</td><td class=\"num\">{MetricHtml(a.Final is null ? null : TrialRanking.TestPrimary(a.Final, a.Metric))}</td>" +
                            $"<td>{E(AutoMLSection.StopText(automl.StopReason))}</td></tr>\n");
            }
            html.Append("</tbody>\n</table>\n</div>\n<div class=\"charts\">\n");
            html.Append(SearchGroups.BestSoFarFigure(group));
            html.Append("</div>\n");
        }
        html.Append("</section>\n");
    }
}
