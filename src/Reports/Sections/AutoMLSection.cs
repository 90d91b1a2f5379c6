using System.Text;
using MLWorkbench.Reports.Statistics;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>How an AutoML search ran (tuner, pruner, budget, folds, why it stopped) and the final model it produced.</summary>
internal static class AutoMLSection
{
    public static void Append(StringBuilder html, ExperimentAnalysis a)
    {
        if (a.Experiment.AutoML is not { } automl) return;
        var trials = a.Experiment.Trials ?? [];
        var counts = string.Join(", ", trials.GroupBy(t => t.Status).OrderByDescending(g => g.Count()).Select(g => $"{N(g.Count())} {E(g.Key)}"));
        var folds = automl.Folds > 1 ? $"{automl.Folds}-fold cross-validation on the training rows" : "a single validation holdout";
        html.Append($"""
            <h3 id="{a.Anchor}-automl">AutoML search</h3>
            <dl class="facts">
            <dt>Tuner</dt><dd>{E(automl.Tuner)}</dd>
            <dt>Pruner</dt><dd>{E(automl.Pruner)}</dd>
            <dt>Budget</dt><dd>{(automl.BudgetSeconds is { } b ? E(NumberFormat.Duration(TimeSpan.FromSeconds(b))) : "none (a trial count limited the search)")}{(automl.SpentBeforeSeconds > 0 ? $" for the whole study; {E(NumberFormat.Duration(TimeSpan.FromSeconds(automl.SpentBeforeSeconds)))} of it spent by earlier runs" : "")}{(automl.TrialShareSeconds is { } share ? $"; each trial at most {E(NumberFormat.Duration(TimeSpan.FromSeconds(share)))}" : "")}</dd>
            <dt>Scored by</dt><dd>{folds}</dd>
            <dt>Parallel trials</dt><dd>{automl.Parallel}</dd>
            <dt>Trials</dt><dd>{N(trials.Count)}{(trials.Count > 0 ? $" ({counts})" : "")}{(automl.ResumedTrials > 0 ? $"; {N(automl.ResumedTrials)} resumed from the study file instead of run again" : "")}</dd>
            <dt>Stopped by</dt><dd>{E(StopText(automl.StopReason))}</dd>
            <dt>Study file</dt><dd>{(string.IsNullOrEmpty(automl.StudyPath) ? Missing : $"<code>{E(automl.StudyPath)}</code>")}</dd>
            </dl>

            """);
        AppendFinal(html, a, automl);
    }

    /// <summary>The stop reason in words.</summary>
    public static string StopText(string? reason) => reason switch
    {
        "budget" => "the time budget ran out",
        "trials" => "the trial limit was reached",
        "interrupted" => "an interruption (Ctrl+C)",
        null or "" => "unknown",
        _ => reason,
    };

    private static void AppendFinal(StringBuilder html, ExperimentAnalysis a, AutoMLInfo automl)
    {
        html.Append("<h4>Final model</h4>\n");
        if (a.Final is not { } final)
        {
            html.Append("<p class=\"note\">The search produced no final model.</p>\n");
            return;
        }
        if (final.Status != TrialStatus.Succeeded)
        {
            html.Append($"<p class=\"reason\"><span class=\"label\">The final refit of {E(final.Candidate)} {E(final.Status)}:</span> {E(final.Reason)}</p>\n");
            return;
        }
        var source = a.SelectedRow is { } row ? $" (trial {E(TrialRanking.Name(row))})" : "";
        html.Append($"<p><strong>{E(final.Candidate)}</strong> ({E(final.Family)}), the best configuration{source}, refitted on all training rows and scored once on the {N(a.TestRows > 0 ? a.TestRows : a.Experiment.Split?.TestRows ?? 0)} test rows.</p>\n");
        var test = final.Metrics?.Test ?? [];
        if (test.Count > 0)
        {
            html.Append("<div class=\"table-wrap narrow\">\n<table class=\"final-metrics\">\n<caption>Test scores of the final model.</caption>\n<thead><tr><th scope=\"col\">Metric</th><th scope=\"col\" class=\"num\">Test</th><th scope=\"col\" class=\"num\">95% CI</th></tr></thead>\n<tbody>\n");
            foreach (var (metric, value) in test.OrderBy(p => p.Key == a.Metric ? 0 : 1))
            {
                var ci = metric == a.Metric && a.FinalInterval is { } i ? $"{Range(i.Low, i.High)}" : Missing;
                html.Append($"<tr{(metric == a.Metric ? " class=\"primary\"" : "")}><td>{E(metric)}</td><td class=\"num\" data-metric=\"{E(metric)}\">{NumberFormat.Significant(value)}</td><td class=\"num\">{ci}</td></tr>\n");
            }
            html.Append("</tbody>\n</table>\n</div>\n");
            if (a.FinalInterval is { Method: IntervalMethod.Bootstrap } fi)
                html.Append($"<p class=\"note\">The interval is a percentile bootstrap over the {N(fi.Units)} test rows ({N(Bootstrap.Resamples)} resamples).</p>\n");
        }
        html.Append($"""
            <dl class="facts">
            <dt>Hyperparameters</dt><dd>{HyperparametersHtml(final.Hyperparameters, a.DefaultsOf(final))}</dd>
            <dt>Training time</dt><dd>{NumberFormat.Significant(final.TrainSeconds)} s</dd>
            <dt>Prediction</dt><dd>{(final.PredictMicrosecondsPerRow > 0 ? $"{NumberFormat.Significant(final.PredictMicrosecondsPerRow)} µs per row" : Missing)}</dd>
            <dt>Model file</dt><dd>{(string.IsNullOrEmpty(automl.ModelPath) ? "<span class=\"na\">not saved</span>" : $"<code>{E(automl.ModelPath)}</code>")}</dd>
            </dl>

            """);
    }
}
