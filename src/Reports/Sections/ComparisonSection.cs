using System.Text;
using MLWorkbench.Reports.Statistics;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>
/// "Which differences are real": the top models compared in pairs on the same test rows (paired
/// bootstrap) or the same folds (corrected resampled t-test), and one sentence about the best two.
/// </summary>
internal static class ComparisonSection
{
    public static void Append(StringBuilder html, ExperimentAnalysis a)
    {
        var ranked = a.Ranked.Count();
        if (ranked < 2) return;
        html.Append($"<h3 id=\"{a.Anchor}-differences\">Which differences are real</h3>\n");
        var tested = a.Comparisons.Where(c => c.Result is not null).ToList();
        if (tested.Count == 0)
        {
            html.Append("<p class=\"note\">The results hold no per-row test predictions and no per-fold scores, so the report cannot tell whether the differences between candidates are larger than chance.</p>\n");
            return;
        }
        if (a.Verdict() is { } sentence)
            html.Append($"<p class=\"verdict\">{E(sentence)}</p>\n");
        var pm = E(a.Metric);
        var scope = tested.All(c => c.Result!.Method == PairedMethod.Bootstrap) ? "test" : tested.All(c => c.Result!.Method == PairedMethod.CorrectedTTest) ? "validation" : "test or validation";
        var models = Math.Min(ranked, ExperimentAnalysis.ComparedModels);
        html.Append($"""
            <div class="table-wrap">
            <table class="comparisons">
            <caption>The top {models} models by {E(a.BasisLabel)}, compared in pairs on their {scope} {pm}. {Methods(tested)} Holm's correction runs over the experiment's {a.Family} comparisons ({(a.Baseline?.Comparison is null ? "these" : "these and the selected model against the baseline")}): a pair is told apart when its adjusted p &lt; 0.05, so the chance of any false “better” on this page stays at or below 5%.</caption>
            <thead><tr><th scope="col">Model</th><th scope="col">Against</th><th scope="col" class="num">Difference in {scope} {pm}</th><th scope="col" class="num">95% CI of the difference</th><th scope="col" class="num">p</th><th scope="col" class="num">Holm-adjusted p</th><th scope="col">Test</th><th scope="col">Verdict</th></tr></thead>
            <tbody>

            """);
        foreach (var c in a.Comparisons)
        {
            string first = E(TrialRanking.Name(c.First.Trial)), second = E(TrialRanking.Name(c.Second.Trial));
            if (c.Result is not { } r)
            {
                html.Append($"<tr class=\"pair untested\"><td>{first}</td><td>{second}</td><td colspan=\"6\" class=\"note\">no shared test rows or folds to compare on</td></tr>\n");
                continue;
            }
            var apart = c.Adjusted < 0.05;
            var verdict = !apart ? "cannot be told apart"
                : a.FirstIsBetter(r) ? $"{first} is better" : $"{second} is better";
            html.Append($"<tr class=\"pair {(apart ? "apart" : "together")}\"><td>{first}</td><td>{second}</td>" +
                        $"<td class=\"num difference\">{Signed(r.Difference)}</td><td class=\"num\">{(double.IsFinite(r.Low) ? Range(r.Low, r.High) : Missing)}</td>" +
                        $"<td class=\"num p\">{E(PValue(r.PValue))}</td><td class=\"num p-holm\">{E(PValue(c.Adjusted))}</td><td>{Method(r)}</td><td class=\"verdict\">{verdict}</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n</div>\n");
    }

    private static string Methods(List<Comparison> tested)
    {
        var text = new StringBuilder();
        if (tested.Any(c => c.Result!.Method == PairedMethod.Bootstrap))
            text.Append($"Paired bootstrap: the same test rows are resampled for both models ({N(PairedTests.Resamples)} times) and p is twice the smaller share of resampled differences on either side of zero. ");
        if (tested.Any(c => c.Result!.Method == PairedMethod.CorrectedTTest))
            text.Append("Corrected resampled t-test (Nadeau and Bengio 2003) on the per-fold scores, which widens the plain t-test for the training rows the folds share. ");
        return text.ToString().TrimEnd();
    }

    private static string Method(PairedResult r) => r.Method == PairedMethod.Bootstrap
        ? $"paired bootstrap, {N(r.Units)} rows"
        : $"corrected t-test, {r.Units} folds";
}
