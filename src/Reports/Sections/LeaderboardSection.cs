using System.Globalization;
using System.Text;
using MLWorkbench.Reports.Statistics;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>
/// The leaderboard table: every trial, ranked ones first, with the primary metric's 95% interval.
/// Written best first; the page's script lets a reader re-sort it by any column.
/// </summary>
internal static class LeaderboardSection
{
    public static void Append(StringBuilder html, ExperimentAnalysis a)
    {
        var e = a.Experiment;
        var pm = e.PrimaryMetric;
        var trials = e.Trials ?? [];
        var hasTest = trials.Any(t => t.Metrics?.Test is { Count: > 0 });
        var others = trials.SelectMany(t => t.Metrics?.Test?.Keys ?? Enumerable.Empty<string>()).Where(k => k != pm).Distinct().ToList();
        var hasStd = trials.Any(t => t.ValidationStd?.ContainsKey(pm) == true);
        var hasFolds = trials.Any(t => t.Folds is { Count: > 0 });
        var hasFinished = trials.Any(t => t.FinishedAtSeconds is not null);
        var hasPredict = trials.Any(t => t.PredictMicrosecondsPerRow > 0);
        var hasSize = trials.Any(t => t.ModelBytes is not null);
        var testIntervals = new Dictionary<TrialResult, Interval?>(ReferenceEqualityComparer.Instance);
        var foldIntervals = new Dictionary<TrialResult, Interval?>(ReferenceEqualityComparer.Instance);
        foreach (var r in a.Ranking)
        {
            testIntervals[r.Trial] = r.Rank is null ? null : a.TestInterval(r.Trial);
            foldIntervals[r.Trial] = r.Rank is null ? null : a.ValidationInterval(r.Trial);
        }
        // A search's trials meet no test rows, so there the baseline stands beside the final model instead.
        var baseline = e.AutoML is null ? a.Baseline : null;
        var hasTestInterval = testIntervals.Values.Any(i => i is not null) || baseline?.Interval is not null;
        var hasFoldInterval = foldIntervals.Values.Any(i => i is not null);
        hasTest |= baseline is not null;
        var best = e.HigherIsBetter ? "descending" : "ascending";

        html.Append($"""
            <h3 id="{a.Anchor}-leaderboard">Leaderboard</h3>
            <div class="table-wrap">
            <table class="leaderboard sortable">
            <caption>{Caption(a, hasTestInterval, hasFoldInterval, testIntervals.Values, baseline)}</caption>
            <thead><tr><th scope="col" class="num" data-sort="num">#</th><th scope="col" data-sort="text">{(trials.Any(t => t.Number is not null) ? "Trial" : "Candidate")}</th><th scope="col" data-sort="text">Family</th><th scope="col" data-sort="text">Status</th><th scope="col" class="num primary" data-sort="num" data-first="{best}">Validation {E(pm)}{(hasStd ? " ± sd" : "")}</th>
            """);
        if (hasFoldInterval) html.Append($"<th scope=\"col\" class=\"num primary\">95% CI of validation {E(pm)}</th>");
        if (hasFolds) html.Append("<th scope=\"col\" class=\"num\" data-sort=\"num\">Folds</th>");
        if (hasTest) html.Append($"<th scope=\"col\" class=\"num primary\" data-sort=\"num\" data-first=\"{best}\">Test {E(pm)}</th>");
        if (hasTestInterval) html.Append($"<th scope=\"col\" class=\"num primary\">95% CI of test {E(pm)}</th>");
        foreach (var metric in others)
            html.Append($"<th scope=\"col\" class=\"num\" data-sort=\"num\" data-first=\"{(LowerIsBetter(metric) ? "ascending" : "descending")}\">Test {E(metric)}</th>");
        html.Append("<th scope=\"col\" class=\"num\" data-sort=\"num\">Train s</th>");
        if (hasPredict) html.Append("<th scope=\"col\" class=\"num\" data-sort=\"num\">Predict µs/row</th>");
        if (hasSize) html.Append("<th scope=\"col\" class=\"num\" data-sort=\"num\" title=\"Bytes of the model in its .mlwb file; pretrained files it loads from NuGet packages are noted apart\">Model size</th>");
        if (hasFinished) html.Append("<th scope=\"col\" class=\"num\" data-sort=\"num\">Finished at s</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        var columns = 6 + (hasPredict ? 1 : 0) + (hasSize ? 1 : 0) + (hasFolds ? 1 : 0) + (hasTest ? 1 : 0) + (hasTestInterval ? 1 : 0) + (hasFoldInterval ? 1 : 0) + others.Count + (hasFinished ? 1 : 0);

        foreach (var (rank, trial, _, tied) in a.Ranking)
        {
            var selected = ReferenceEquals(trial, a.SelectedRow);
            var rowClass = (rank is { } r ? $"trial rank-{r}" : "trial unranked") + (selected ? " selected" : "");
            var succeeded = trial.Status == TrialStatus.Succeeded;
            var validation = Value(trial.Metrics?.Validation, pm);
            html.Append($"<tr class=\"{rowClass}\">");
            var tie = tied ? $"<span class=\"tie\" title=\"Same {E(a.BasisLabel)} as the row above; {E(a.TieRule)}\">=</span>" : "";
            html.Append($"<td class=\"num rank\" data-v=\"{SortValue(rank)}\">{(rank is { } n ? n.ToString(CultureInfo.InvariantCulture) : "–")}{tie}</td>");
            html.Append($"<td class=\"candidate\">{E(TrialRanking.Name(trial))}{(selected ? $"<span class=\"tag\">{(a.Final is null ? "selected" : "final")}</span>" : "")}</td>");
            html.Append($"<td class=\"family\">{E(trial.Family)}</td>");
            html.Append($"<td class=\"status\"><span class=\"status {StatusClass(trial.Status)}\">{E(trial.Status)}</span></td>");
            // One fold has no spread: "± 0" would claim a certainty it does not have.
            var spread = trial.ValidationStd is { } std && std.TryGetValue(pm, out var sd) && validation is not null && (trial.Folds?.Count ?? 0) != 1 && double.IsFinite(sd)
                ? $" <span class=\"sd\">± {NumberFormat.Significant(sd)}</span>" : "";
            html.Append($"<td class=\"num primary validation\" data-v=\"{SortValue(validation)}\">{MetricHtml(validation)}{spread}</td>");
            if (hasFoldInterval) html.Append($"<td class=\"num primary ci validation-ci\">{IntervalHtml(foldIntervals[trial])}</td>");
            if (hasFolds)
            {
                var folds = trial.Folds?.Count ?? 0;
                html.Append($"<td class=\"num folds\" data-v=\"{folds}\">{(folds > 0 ? folds.ToString(CultureInfo.InvariantCulture) : Missing)}</td>");
            }
            if (hasTest)
            {
                var test = Value(trial.Metrics?.Test, pm);
                html.Append($"<td class=\"num primary test\" data-v=\"{SortValue(test)}\">{MetricHtml(test)}</td>");
            }
            if (hasTestInterval) html.Append($"<td class=\"num primary ci test-ci\">{IntervalHtml(testIntervals[trial])}</td>");
            foreach (var metric in others)
            {
                var value = Value(trial.Metrics?.Test, metric);
                html.Append($"<td class=\"num metric\" data-metric=\"{E(metric)}\" data-v=\"{SortValue(value)}\">{MetricHtml(value)}</td>");
            }
            html.Append($"<td class=\"num seconds\" data-v=\"{SortValue(trial.TrainSeconds)}\">{NumberFormat.Significant(trial.TrainSeconds)}</td>");
            if (hasPredict)
                html.Append(succeeded && trial.PredictMicrosecondsPerRow > 0
                    ? $"<td class=\"num predict\" data-v=\"{SortValue(trial.PredictMicrosecondsPerRow)}\">{NumberFormat.Significant(trial.PredictMicrosecondsPerRow)}</td>"
                    : $"<td class=\"num predict\" data-v=\"\">{Missing}</td>");
            if (hasSize)
                html.Append(trial.ModelBytes is { } bytes
                    ? $"<td class=\"num size\" data-v=\"{SortValue(bytes)}\">{E(NumberFormat.Bytes(bytes))}{(trial.PretrainedBytes is { } p ? $"<span class=\"sd\"> + {E(NumberFormat.Bytes(p))} pretrained</span>" : "")}</td>"
                    : $"<td class=\"num size\" data-v=\"\">{Missing}</td>");
            if (hasFinished)
                html.Append($"<td class=\"num finished\" data-v=\"{SortValue(trial.FinishedAtSeconds)}\">{(trial.FinishedAtSeconds is { } f ? NumberFormat.Significant(f) : Missing)}</td>");
            html.Append("</tr>\n");
            // Settings and the reason get rows of their own: both can be long, and as a column they would
            // make the table wider than a laptop screen or a page.
            if (trial.Hyperparameters is { Count: > 0 })
                html.Append($"<tr class=\"detail-row {rowClass}\"><td></td><td colspan=\"{columns - 1}\" class=\"hyperparameters\">{HyperparametersHtml(trial.Hyperparameters, a.DefaultsOf(trial))}</td></tr>\n");
            if (!string.IsNullOrWhiteSpace(trial.Reason))
                html.Append($"<tr class=\"detail-row reason-row {rowClass}\"><td></td><td colspan=\"{columns - 1}\">{ReasonHtml(trial.Status, trial.Reason)}</td></tr>\n");
        }
        if (baseline is not null)
        {
            html.Append("<tr class=\"baseline\">");
            html.Append($"<td class=\"num rank\" data-v=\"\">–</td><td class=\"candidate\">{E(baseline.Name)}</td><td class=\"family\">{Missing}</td><td class=\"status\">reference</td>");
            html.Append($"<td class=\"num primary validation\" data-v=\"\">{Missing}</td>");
            if (hasFoldInterval) html.Append($"<td class=\"num primary ci\">{Missing}</td>");
            if (hasFolds) html.Append($"<td class=\"num folds\" data-v=\"\">{Missing}</td>");
            html.Append($"<td class=\"num primary test\" data-v=\"{SortValue(baseline.Score)}\">{MetricHtml(baseline.Score)}</td>");
            if (hasTestInterval) html.Append($"<td class=\"num primary ci test-ci\">{IntervalHtml(baseline.Interval)}</td>");
            foreach (var _ in others) html.Append($"<td class=\"num metric\" data-v=\"\">{Missing}</td>");
            html.Append($"<td class=\"num seconds\" data-v=\"\">{Missing}</td>");
            if (hasPredict) html.Append($"<td class=\"num predict\" data-v=\"\">{Missing}</td>");
            if (hasSize) html.Append($"<td class=\"num size\" data-v=\"\">{Missing}</td>");
            if (hasFinished) html.Append($"<td class=\"num finished\" data-v=\"\">{Missing}</td>");
            html.Append("</tr>\n");
            html.Append($"<tr class=\"detail-row baseline\"><td></td><td colspan=\"{columns - 1}\" class=\"note\">A reference, not a candidate: it {E(baseline.How)}.</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n</div>\n");
    }

    /// <summary>Metrics where smaller is better; every other metric is taken as larger-is-better.</summary>
    public static bool LowerIsBetter(string metric) =>
        metric.Equals("rmse", StringComparison.OrdinalIgnoreCase) || metric.Equals("mae", StringComparison.OrdinalIgnoreCase) ||
        metric.Equals("mse", StringComparison.OrdinalIgnoreCase) || metric.Equals("logLoss", StringComparison.OrdinalIgnoreCase);

    public static string StatusClass(string status) => status switch
    {
        TrialStatus.Succeeded => "succeeded",
        TrialStatus.Failed => "failed",
        TrialStatus.Pruned => "pruned",
        _ => "skipped",
    };

    private static string Caption(ExperimentAnalysis a, bool hasTestInterval, bool hasFoldInterval, IEnumerable<Interval?> testIntervals, Baseline? baseline)
    {
        var e = a.Experiment;
        var pm = E(e.PrimaryMetric);
        var text = new StringBuilder();
        if (a.Basis == RankBasis.Validation)
        {
            text.Append($"Ranked by validation {pm} ({ExperimentSection.Direction(e)}), the score the model was selected on{(e.AutoML is not null && e.AutoML.Folds > 1 ? ", the mean over the cross-validation folds (± is their standard deviation)" : "")}; ");
            text.Append(e.AutoML is null ? $"test {pm} is shown beside it and never reorders the table. " : "only the final model meets the test rows. ");
            text.Append($"Ties: {E(a.TieRule)} (marked =). ");
        }
        else
            text.Append($"Ranked by test {pm} ({ExperimentSection.Direction(e)}): the results hold no validation scores. ");
        text.Append("Failed, skipped and pruned trials are listed last, unranked. Each row's settings are on the line below it");
        text.Append(e.CandidateDefaults is null
            ? " (the results record no defaults, as files before schema 1.4 do not, so which settings were changed is unknown). "
            : (e.Trials ?? []).Any(t => t.Hyperparameters is { Count: > 0 } && a.DefaultsOf(t) is null)
                ? "; settings that differ from the candidate's defaults are highlighted (the default in the tooltip), where the results record the defaults. "
                : "; settings that differ from the candidate's defaults are highlighted (the default in the tooltip). ");
        text.Append(a.Final is null
            ? $"“Selected” marks the model the run saved."
            : "“Final” marks the configuration refitted as the final model.");
        if (hasTestInterval)
        {
            var rows = testIntervals.FirstOrDefault(i => i is not null)?.Units ?? baseline?.Interval?.Units ?? a.TestRows;
            text.Append($" 95% CI of test {pm}: percentile bootstrap over the {N(rows)} test rows ({N(Bootstrap.Resamples)} resamples).");
            if (testIntervals.Any(i => i is not null && i.Low == i.High))
                text.Append(" An interval of zero width comes from a score no resample could change (e.g. no row wrong): it does not mean the score is certain; with n rows and none wrong, the error rate may still be up to about 3/n.");
        }
        if (hasFoldInterval)
            text.Append($" 95% CI of validation {pm}: mean ± t·sd/√k over the k cross-validation folds.");
        if (baseline is not null)
            text.Append(" The baseline row is a model that learned nothing, for scale.");
        text.Append("<span class=\"sort-hint\"> Click a column heading to sort.</span>");
        return text.ToString();
    }

    private static string IntervalHtml(Interval? interval) => interval is null ? Missing : Range(interval.Low, interval.High);

    private static double? Value(Dictionary<string, double>? metrics, string name) =>
        metrics is not null && metrics.TryGetValue(name, out var value) ? value : null;

    // A full exception message can run to kilobytes; show its start and fold the rest away.
    private static string ReasonHtml(string status, string reason)
    {
        const int shown = 240;
        var word = status switch { TrialStatus.Skipped => "Skipped", TrialStatus.Pruned => "Pruned", _ => "Failed" };
        var label = $"<span class=\"label {StatusClass(status)}\">{word}:</span> ";
        var text = reason.Trim();
        // "Pruned: pruned after 2 of 5 folds" says it twice.
        if (text.StartsWith(word + " ", StringComparison.OrdinalIgnoreCase)) text = text[(word.Length + 1)..];
        if (text.Length <= shown) return $"<p class=\"reason\">{label}{E(text)}</p>";
        var cut = text.LastIndexOf(' ', shown);
        var head = text[..(cut > shown / 2 ? cut : shown)];
        return $"<details class=\"reason\"><summary>{label}{E(head)} …</summary><p>{E(text)}</p></details>";
    }
}
