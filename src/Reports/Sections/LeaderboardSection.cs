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
        var intervals = new Dictionary<TrialResult, Interval?>(ReferenceEqualityComparer.Instance);
        foreach (var r in a.Ranking) intervals[r.Trial] = r.Rank is null ? null : a.IntervalOf(r.Trial);
        var hasInterval = intervals.Values.Any(i => i is not null);
        var best = e.HigherIsBetter ? "descending" : "ascending";

        html.Append($"""
            <h3>Leaderboard</h3>
            <div class="table-wrap">
            <table class="leaderboard sortable">
            <caption>{Caption(a, hasInterval, intervals.Values)}</caption>
            <thead><tr><th scope="col" class="num" data-sort="num">#</th><th scope="col" data-sort="text">{(trials.Any(t => t.Number is not null) ? "Trial" : "Candidate")}</th><th scope="col" data-sort="text">Family</th><th scope="col" data-sort="text">Status</th><th scope="col" class="num primary" data-sort="num" data-first="{best}">Validation {E(pm)}{(hasStd ? " ± sd" : "")}</th>
            """);
        if (hasFolds) html.Append("<th scope=\"col\" class=\"num\" data-sort=\"num\">Folds</th>");
        if (hasTest) html.Append($"<th scope=\"col\" class=\"num primary\" data-sort=\"num\" data-first=\"{best}\">Test {E(pm)}</th>");
        if (hasInterval) html.Append($"<th scope=\"col\" class=\"num primary\">95% CI of {(a.Basis == RankBasis.Test ? "test" : "validation")} {E(pm)}</th>");
        foreach (var metric in others)
            html.Append($"<th scope=\"col\" class=\"num\" data-sort=\"num\" data-first=\"{(LowerIsBetter(metric) ? "ascending" : "descending")}\">Test {E(metric)}</th>");
        html.Append("<th scope=\"col\" class=\"num\" data-sort=\"num\">Train s</th>");
        if (hasPredict) html.Append("<th scope=\"col\" class=\"num\" data-sort=\"num\">Predict µs/row</th>");
        if (hasSize) html.Append("<th scope=\"col\" class=\"num\" data-sort=\"num\" title=\"Bytes of the model in its .mlwb file; pretrained files it loads from NuGet packages are noted apart\">Model size</th>");
        if (hasFinished) html.Append("<th scope=\"col\" class=\"num\" data-sort=\"num\">Finished at s</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        var columns = 6 + (hasPredict ? 1 : 0) + (hasSize ? 1 : 0) + (hasFolds ? 1 : 0) + (hasTest ? 1 : 0) + (hasInterval ? 1 : 0) + others.Count + (hasFinished ? 1 : 0);

        foreach (var (rank, trial, _) in a.Ranking)
        {
            var rowClass = rank is { } r ? $"trial rank-{r}" : "trial unranked";
            var succeeded = trial.Status == TrialStatus.Succeeded;
            var validation = Value(trial.Metrics?.Validation, pm);
            html.Append($"<tr class=\"{rowClass}\">");
            html.Append($"<td class=\"num rank\" data-v=\"{SortValue(rank)}\">{(rank is { } n ? n.ToString(CultureInfo.InvariantCulture) : "–")}</td>");
            html.Append($"<td class=\"candidate\">{E(TrialRanking.Name(trial))}{(ReferenceEquals(trial, a.SelectedRow) ? $"<span class=\"tag\">{(a.Final is null ? "selected" : "final")}</span>" : "")}</td>");
            html.Append($"<td class=\"family\">{E(trial.Family)}</td>");
            html.Append($"<td class=\"status\"><span class=\"status {StatusClass(trial.Status)}\">{E(trial.Status)}</span></td>");
            var spread = trial.ValidationStd is { } std && std.TryGetValue(pm, out var sd) && validation is not null
                ? $" <span class=\"sd\">± {NumberFormat.Significant(sd)}</span>" : "";
            html.Append($"<td class=\"num primary validation\" data-v=\"{SortValue(validation)}\">{MetricHtml(validation)}{spread}</td>");
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
            if (hasInterval) html.Append($"<td class=\"num primary ci\">{IntervalHtml(intervals[trial], a.Basis)}</td>");
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
                html.Append($"<tr class=\"detail-row {rowClass}\"><td></td><td colspan=\"{columns - 1}\" class=\"hyperparameters\">{HyperparametersHtml(trial.Hyperparameters)}</td></tr>\n");
            if (!string.IsNullOrWhiteSpace(trial.Reason))
                html.Append($"<tr class=\"detail-row reason-row {rowClass}\"><td></td><td colspan=\"{columns - 1}\">{ReasonHtml(trial.Status, trial.Reason)}</td></tr>\n");
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

    private static string Caption(ExperimentAnalysis a, bool hasInterval, IEnumerable<Interval?> intervals)
    {
        var e = a.Experiment;
        var pm = E(e.PrimaryMetric);
        var text = new StringBuilder();
        if (a.Basis == RankBasis.Test)
        {
            text.Append($"Candidates ranked by test {pm} ({ExperimentSection.Direction(e)}). Failed, skipped and pruned candidates are listed last, unranked. Each row's settings are on the line below it. ");
            text.Append(a.Final is null
                ? $"“Selected” marks the candidate chosen by validation {pm}."
                : "“Final” marks the configuration refitted as the final model.");
        }
        else
        {
            text.Append($"Search trials ranked by validation {pm} ({ExperimentSection.Direction(e)}), the mean over the cross-validation folds; ± is the standard deviation over folds. Pruned trials stopped early and are unranked. Each row's settings are on the line below it. ");
            text.Append(a.Final is null ? "" : "“Final” marks the configuration refitted as the final model, the only one scored on the test rows.");
        }
        if (hasInterval)
        {
            var list = intervals.Where(i => i is not null).ToList();
            var rows = list.FirstOrDefault(i => i!.Method == IntervalMethod.Bootstrap);
            text.Append(" 95% CI: ");
            if (rows is not null)
                text.Append($"percentile bootstrap over the {N(rows.Units)} test rows ({N(Bootstrap.Resamples)} resamples)");
            if (list.Any(i => i!.Method == IntervalMethod.Folds))
                text.Append(rows is not null ? "; those marked † come from the cross-validation folds instead (mean ± t·sd/√k)" : "mean ± t·sd/√k over the k cross-validation folds");
            text.Append('.');
            if (list.Any(i => i!.Method == IntervalMethod.Bootstrap && i.Low == i.High))
                text.Append(" An interval of zero width comes from a score no resample could change (e.g. no row wrong): it does not mean the score is certain; with n rows and none wrong, the error rate may still be up to about 3/n.");
        }
        text.Append("<span class=\"sort-hint\"> Click a column heading to sort.</span>");
        return text.ToString();
    }

    private static string IntervalHtml(Interval? interval, RankBasis basis)
    {
        if (interval is null) return Missing;
        var mark = interval.Method == IntervalMethod.Folds && basis == RankBasis.Test ? "<span class=\"mark\">†</span>" : "";
        return $"{Range(interval.Low, interval.High)}{mark}";
    }

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
