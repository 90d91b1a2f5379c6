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
            <dt>Parallel trials</dt><dd>{automl.Parallel}</dd>{SearchTime(automl, trials)}
            <dt>Trials</dt><dd>{N(trials.Count)}{(trials.Count > 0 ? $" ({counts})" : "")}{(automl.ResumedTrials > 0 ? $"; {N(automl.ResumedTrials)} resumed from the study file instead of run again" : "")}</dd>
            <dt>Stopped by</dt><dd>{E(StopText(automl.StopReason))}</dd>
            <dt>Study file</dt><dd>{(string.IsNullOrEmpty(automl.StudyPath) ? Missing : $"<code>{E(automl.StudyPath)}</code>")}</dd>{Workers(trials)}{Portfolio(trials, automl.StartingTrials)}{NotStarted(trials)}
            </dl>

            """);
        AppendRungs(html, a);
        AppendCancelled(html, trials);
        AppendNotStarted(html, trials);
        AppendTimePlanned(html, trials);
        AppendEnsemble(html, a, automl);
        AppendFinal(html, a, automl);
    }

    // Shared studies (schema 1.5): which workers ran the trials, and how many trials a second worker had to start again.
    private static string Workers(List<TrialResult> trials)
    {
        var workers = trials.Select(t => t.Worker).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        if (workers.Count == 0) return "";
        var restarted = trials.Count(t => t.Attempts > 1);
        return $"\n<dt>Workers</dt><dd>{N(workers.Count)} ({string.Join(", ", workers.Select(w => $"<code>{E(w)}</code>"))})" +
               $"{(restarted > 0 ? $"; {N(restarted)} trial{(restarted == 1 ? " was" : "s were")} started again after a worker stopped" : "")}</dd>";
    }

    // Schema 1.6: trials 0 to StartingTrials-1 were queued before the sampler (the portfolio or the cheap starting points), so
    // their scores say nothing about how well the sampler chose. Older files have 0 and show nothing.
    private static string Portfolio(List<TrialResult> trials, int starting)
    {
        if (starting <= 0) return "";
        var queued = trials.Where(t => t.Number is { } n && n >= 0 && n < starting).OrderBy(t => t.Number).ToList();
        var names = queued.GroupBy(t => t.Candidate, StringComparer.Ordinal)
            .Select(g => g.Count() > 1 ? $"{E(g.Key)} ×{N(g.Count())}" : E(g.Key));
        var last = starting - 1;
        return $"\n<dt>Portfolio</dt><dd>{N(starting)} trial{(starting == 1 ? "" : "s")} (number{(starting == 1 ? " 0" : $"s 0–{N(last)}")}) queued before the sampler" +
               $"{(queued.Count > 0 ? $": {string.Join(", ", names)}" : "")}" +
               $"{(queued.Count < starting ? $" <span class=\"muted\">({N(queued.Count)} of them in this file)</span>" : "")}</dd>";
    }

    // Trials whose objective declined to start them (schema 1.6: failed with a reason beginning "not started: "), counted
    // per reason, so that they are not read as fits that broke.
    private static string NotStarted(List<TrialResult> trials)
    {
        const string prefix = "not started";
        var skipped = trials.Where(t => t.Reason?.StartsWith(prefix, StringComparison.Ordinal) == true).ToList();
        if (skipped.Count == 0) return "";
        var reasons = skipped.GroupBy(t => t.Reason![prefix.Length..].TrimStart(':', ' '), StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{N(g.Count())} {(g.Key.Length == 0 ? "no reason given" : E(g.Key))}");
        return $"\n<dt>Not started</dt><dd>{N(skipped.Count)} trial{(skipped.Count == 1 ? "" : "s")} ({string.Join("; ", reasons)})</dd>";
    }

    // Schema 1.8: how long the search ran against its budget (the refit is reported apart, under the final model), and
    // whether any trial ran past the seconds it was allowed (a fit that did not stop at its cancellation).
    private static string SearchTime(AutoMLInfo automl, List<TrialResult> trials)
    {
        if (automl.SearchSeconds is not { } seconds || !double.IsFinite(seconds)) return "";
        // Seconds, not minutes: the question is whether the search ended within a few percent of its budget.
        static string D(double s) => $"{NumberFormat.Significant(s)} s";
        var text = new StringBuilder($"\n<dt>Search time</dt><dd>{D(seconds)}");
        if (automl.BudgetSeconds is { } budget && budget > 0)
            text.Append($" of the {D(budget)} budget ({NumberFormat.Significant(100 * seconds / budget)}%)");
        text.Append(", the final refit apart");
        var timed = trials.Where(t => t.AllowedSeconds is > 0 && double.IsFinite(t.TrainSeconds)).ToList();
        if (timed.Count > 0)
        {
            // A cancelled trial ends a moment after its limit; the issue's tolerance for an overrun is 10%.
            var worst = timed.MaxBy(t => t.TrainSeconds / t.AllowedSeconds!.Value)!;
            var over = timed.Count(t => t.TrainSeconds > 1.1 * t.AllowedSeconds!.Value);
            text.Append($"; the longest trial against its allowed seconds: {(worst.Number is { } n ? $"#{n} " : "")}{E(worst.Candidate)}, " +
                        $"{NumberFormat.Significant(worst.TrainSeconds)} s of {NumberFormat.Significant(worst.AllowedSeconds!.Value)} s; " +
                        (over == 0 ? $"none of {N(timed.Count)} ran more than 10% past them" : $"{N(over)} of {N(timed.Count)} ran more than 10% past them"));
        }
        return text.Append("</dd>").ToString();
    }

    /// <summary>
    /// Trials the cost model did not start (schema 1.8): what it predicted and the seconds the trial would have had (its
    /// share of the budget, or what the budget had left). Nothing when every trial started.
    /// </summary>
    private static void AppendNotStarted(StringBuilder html, List<TrialResult> trials)
    {
        var refused = trials.Where(t => t.Reason?.StartsWith("not started", StringComparison.Ordinal) == true && (t.PredictedSeconds is not null || t.AllowedSeconds is not null))
            .OrderBy(t => t.Number ?? int.MaxValue).ToList();
        if (refused.Count == 0) return;
        static string Seconds(double? v) => v is { } s && double.IsFinite(s) ? $"{NumberFormat.Significant(s)} s" : Missing;
        html.Append($"""
            <h4>Trials not started</h4>
            <div class="table-wrap narrow">
            <table class="not-started">
            <caption>{N(refused.Count)} trial{(refused.Count == 1 ? " was" : "s were")} not started: the cost model predicted more seconds than the trial would have had. “Predicted” is its estimate of all the trial's fits (under successive halving a trial is refused only when its first rung would not fit); “Allowed” is the trial's share of the budget, or what the budget had left when that was less.</caption>
            <thead><tr><th scope="col">Trial</th><th scope="col">Candidate</th><th scope="col" class="num">Predicted</th><th scope="col" class="num">Allowed</th></tr></thead>
            <tbody>

            """);
        foreach (var t in refused)
            html.Append($"<tr><td>{(t.Number is { } n ? $"#{n}" : Missing)}</td><td>{E(t.Candidate)}</td><td class=\"num\">{Seconds(t.PredictedSeconds)}</td><td class=\"num\">{Seconds(t.AllowedSeconds)}</td></tr>\n");
        html.Append("</tbody>\n</table>\n</div>\n");
    }

    /// <summary>
    /// Networks that planned their steps against the seconds they were allowed (schema 1.9): the epochs configured,
    /// planned and trained, the examples, the measured seconds per step, and whether the plan or the limit ended
    /// training. Only trials whose plan cut their epochs are listed; nothing when none was.
    /// </summary>
    private static void AppendTimePlanned(StringBuilder html, List<TrialResult> trials)
    {
        var planned = trials.Where(t => t.Training is { } p && (p.StoppedAtLimit || p.PlannedEpochs < p.ConfiguredEpochs - 1e-9))
            .OrderBy(t => t.Number ?? int.MaxValue).ToList();
        if (planned.Count == 0) return;
        static string V(double v) => NumberFormat.Significant(v);
        static string L(long v) => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        html.Append($"""
            <h4>Networks trained to their seconds</h4>
            <div class="table-wrap narrow">
            <table class="time-planned">
            <caption>{N(planned.Count)} network trial{(planned.Count == 1 ? "" : "s")} had too few seconds for {(planned.Count == 1 ? "its" : "their")} epochs: each timed its first steps, fitted its learning-rate schedule to the steps that end in time (“Planned”), and kept the model it had when the plan, or the limit, ended training.</caption>
            <thead><tr><th scope="col">Trial</th><th scope="col">Candidate</th><th scope="col" class="num">Allowed</th><th scope="col" class="num">Epochs configured</th><th scope="col" class="num">Planned</th><th scope="col" class="num">Trained</th><th scope="col" class="num">Examples trained</th><th scope="col" class="num">s / step</th><th scope="col">Ended by</th></tr></thead>
            <tbody>

            """);
        foreach (var t in planned)
        {
            var p = t.Training!;
            html.Append($"<tr><td>{(t.Number is { } n ? $"#{n}" : Missing)}</td><td>{E(t.Candidate)}</td><td class=\"num\">{V(p.AllowedSeconds)} s</td>" +
                        $"<td class=\"num\">{V(p.ConfiguredEpochs)}</td><td class=\"num\">{V(p.PlannedEpochs)}</td><td class=\"num\">{V(p.TrainedEpochs)}</td>" +
                        $"<td class=\"num\">{L(p.TrainedExamples)} of {L(p.PlannedExamples)}</td><td class=\"num\">{(p.SecondsPerStep is { } s ? V(s) : Missing)}</td>" +
                        $"<td>{(p.StoppedAtLimit ? "the limit" : "the plan")}</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n</div>\n");
    }

    /// <summary>
    /// Trials the search cancelled at their time share (schema 1.6): when, how long their fit took to return after the
    /// cancel, and what the cost model had predicted for them. Nothing when no trial was cancelled.
    /// </summary>
    private static void AppendCancelled(StringBuilder html, List<TrialResult> trials)
    {
        var cancelled = trials.Where(t => t.CancelledAtSeconds is not null).OrderBy(t => t.Number ?? int.MaxValue).ToList();
        if (cancelled.Count == 0) return;
        static string Seconds(double? v) => v is { } s && double.IsFinite(s) ? $"{NumberFormat.Significant(s)} s" : Missing;
        html.Append($"""
            <h4>Cancelled trials</h4>
            <div class="table-wrap narrow">
            <table class="cancelled">
            <caption>{N(cancelled.Count)} trial{(cancelled.Count == 1 ? " was" : "s were")} cancelled at the seconds the search allowed them. “Stop” is the time from the cancel until the fit returned (– when it did not return within the wait and was abandoned); “Predicted” is the cost model's estimate before the trial started.</caption>
            <thead><tr><th scope="col">Trial</th><th scope="col">Candidate</th><th scope="col" class="num">Cancelled at</th><th scope="col" class="num">Stop</th><th scope="col" class="num">Predicted</th></tr></thead>
            <tbody>

            """);
        foreach (var t in cancelled)
            html.Append($"<tr><td>{(t.Number is { } n ? $"#{n}" : Missing)}</td><td>{E(t.Candidate)}</td><td class=\"num\">{Seconds(t.CancelledAtSeconds)}</td>" +
                        $"<td class=\"num\">{Seconds(t.StopSeconds)}</td><td class=\"num\">{Seconds(t.PredictedSeconds)}</td></tr>\n");
        html.Append("</tbody>\n</table>\n</div>\n");
    }

    /// <summary>
    /// Successive halving (schema 1.4; epochs for networks, rows for large tables): per rung, the fidelity the trials trained at, how many reached it, went on, stopped
    /// there or ended there, and the best validation score at that rung.
    /// </summary>
    private static void AppendRungs(StringBuilder html, ExperimentAnalysis a)
    {
        var reached = (a.Experiment.Trials ?? []).Where(t => t.Rungs is { Count: > 0 })
            .SelectMany(t => t.Rungs!.Where(r => r is not null).Select(r => (Trial: t, Rung: r))).ToList();
        if (reached.Count == 0) return;
        html.Append($"""
            <h4>Successive halving</h4>
            <div class="table-wrap narrow">
            <table class="rungs">
            <caption>Trials trained at growing fidelity (networks: epochs; sampled trials of large tables: training rows): at each rung only the best trials go on (promoted); the others stop there and are listed as pruned in the leaderboard. “Ended” counts trials whose last score is at that rung.</caption>
            <thead><tr><th scope="col" class="num">Rung</th><th scope="col" class="num">Fidelity</th><th scope="col" class="num">Trials</th><th scope="col" class="num">Promoted</th><th scope="col" class="num">Stopped</th><th scope="col" class="num">Ended</th><th scope="col" class="num">Best validation {E(a.Metric)}</th></tr></thead>
            <tbody>

            """);
        foreach (var rung in reached.GroupBy(x => x.Rung.Rung).OrderBy(g => g.Key))
        {
            double low = rung.Min(x => x.Rung.Fidelity), high = rung.Max(x => x.Rung.Fidelity);
            // Epochs and rows are whole numbers: "3 epochs", not "3.000"; "2,000 rows", grouped like every count here.
            static string Amount(double v) => v == Math.Round(v) && Math.Abs(v) < 1e9 ? v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : NumberFormat.Significant(v);
            var fidelity = (low == high ? Amount(low) : $"{Amount(low)}–{Amount(high)}") + $" {E(rung.First().Rung.Unit)}";
            var scored = rung.Where(x => double.IsFinite(x.Rung.Value)).ToList();
            var best = scored.Count == 0 ? default : a.Experiment.HigherIsBetter ? scored.MaxBy(x => x.Rung.Value) : scored.MinBy(x => x.Rung.Value);
            int Count(string outcome) => rung.Count(x => x.Rung.Outcome == outcome);
            html.Append($"<tr><td class=\"num\">{rung.Key}</td><td class=\"num\">{fidelity}</td><td class=\"num\">{N(rung.Count())}</td>" +
                        $"<td class=\"num\">{N(Count("promoted"))}</td><td class=\"num\">{N(Count("stopped"))}</td><td class=\"num\">{N(Count("final"))}</td>" +
                        $"<td class=\"num\">{(best.Trial is null ? Missing : $"{NumberFormat.Significant(best.Rung.Value)} <span class=\"muted\">({E(TrialRanking.Name(best.Trial))})</span>")}</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n</div>\n");
    }

    /// <summary>
    /// The weighted ensemble of the best trials (schema 1.7): each member's trial, candidate and weight, the ensemble's and
    /// the winner's scores on the rows the weights never saw, and whether it replaced the winner. Nothing in older files.
    /// </summary>
    private static void AppendEnsemble(StringBuilder html, ExperimentAnalysis a, AutoMLInfo automl)
    {
        if (automl.Ensemble is not { } ensemble) return;
        // Trials left out before the weights were fitted (schema 1.8: refits predicted past their share of the budget).
        var leftOut = ensemble.LeftOut is { Count: > 0 } left
            ? "<p class=\"note\">Left out before the weights were fitted: " + string.Join("; ", left.Select(E)) + ".</p>\n" : "";
        if (ensemble.Members.Count == 0 && !ensemble.Chosen)
        {
            html.Append($"<h4>Ensemble</h4>\n<p class=\"reason\">{E(ensemble.Reason ?? "not judged")}</p>\n{leftOut}");
            return;
        }
        static string Score(double? v) => v is { } x && double.IsFinite(x) ? NumberFormat.Significant(x) : Missing;
        var verdict = ensemble.Chosen ? "<strong>chosen</strong>: it is the final model" : "not chosen: the winner stays the final model";
        var reason = string.IsNullOrEmpty(ensemble.Reason) ? "" : "<p class=\"reason\">" + E(ensemble.Reason) + "</p>";
        html.Append($"""
            <h4>Ensemble</h4>
            <p>A greedy weighted ensemble of the best trials (Caruana et al., 2004; {E(EnsembleRows(ensemble))}): weights fitted on {N(ensemble.FitRows)} rows, judged on {N(ensemble.JudgeRows)} others, where it scored {E(a.Metric)} {Score(ensemble.Score)} against the winner's {Score(ensemble.WinnerScore)}; {verdict}.</p>
            {reason}
            <div class="table-wrap narrow">
            <table class="ensemble">
            <caption>Members with a positive weight (the weights sum to 1).</caption>
            <thead><tr><th scope="col">Trial</th><th scope="col">Candidate</th><th scope="col" class="num">Weight</th></tr></thead>
            <tbody>

            """);
        foreach (var m in ensemble.Members)
            html.Append($"<tr><td>#{m.Number}</td><td>{E(m.Candidate)}</td><td class=\"num\">{NumberFormat.Significant(m.Weight)}</td></tr>\n");
        html.Append("</tbody>\n</table>\n</div>\n");
        html.Append(leftOut);
        if (ensemble.Winner?.Metrics?.Test is { } test && test.TryGetValue(a.Metric, out var winner))
            html.Append($"<p class=\"note\">The single winner ({E(ensemble.Winner.Candidate)}, trial #{ensemble.Winner.Number}), refit as it would have been final, scored test {E(a.Metric)} {NumberFormat.Significant(winner)}.</p>\n");
    }

    private static string EnsembleRows(EnsembleInfo ensemble) => string.IsNullOrEmpty(ensemble.Rows) ? "validation predictions" : ensemble.Rows;

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
        // Without a refit the final model is the search's own (schema 1.8 records its rows; older files were refit, or do not say).
        var asTrained = automl.Refit is null && automl.FinalTrainRows is not null;
        var testRows = N(a.TestRows > 0 ? a.TestRows : a.Experiment.Split?.TestRows ?? 0);
        html.Append(automl.Ensemble is { Chosen: true } ensemble
            ? $"<p><strong>{E(final.Candidate)}</strong> of {N(ensemble.Members.Count)} trials ({string.Join(", ", ensemble.Members.Select(m => $"{E(m.Candidate)} #{m.Number} × {NumberFormat.Significant(m.Weight)}"))}), {(asTrained ? "each member as trained in the search" : "each member refitted")}, scored once on the {testRows} test rows.</p>\n"
            : $"<p><strong>{E(final.Candidate)}</strong> ({E(final.Family)}), the best configuration{source}, {(asTrained ? "as trained in the search" : "refitted on all training rows")} and scored once on the {testRows} test rows.</p>\n");
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
            <dt>Hyperparameters</dt><dd>{HyperparametersHtml(final.Hyperparameters, a.DefaultsOf(final))}</dd>{(string.IsNullOrEmpty(automl.FinalRows) ? "" : $"\n<dt>Trained on</dt><dd>{E(automl.FinalRows)}</dd>")}{Refit(a, automl)}
            <dt>Training time</dt><dd>{NumberFormat.Significant(final.TrainSeconds)} s</dd>
            <dt>Prediction</dt><dd>{(final.PredictMicrosecondsPerRow > 0 ? $"{NumberFormat.Significant(final.PredictMicrosecondsPerRow)} µs per row" : Missing)}</dd>
            <dt>Model file</dt><dd>{(string.IsNullOrEmpty(automl.ModelPath) ? "<span class=\"na\">not saved</span>" : $"<code>{E(automl.ModelPath)}</code>")}</dd>
            </dl>

            """);
    }

    // Images, texts and pairs (schema 1.4): how the winner was trained again, and what it scored as selected, before the refit.
    private static string Refit(ExperimentAnalysis a, AutoMLInfo automl)
    {
        var text = new StringBuilder();
        if (automl.Refit is { } refit)
            text.Append($"\n<dt>Refit</dt><dd>on {E(refit.Rows)} ({N(refit.TrainRows)} examples{(refit.Epochs is { } epochs ? $", {N(epochs)} epochs, those it was selected at" : "")}), " +
                        $"{E(NumberFormat.Duration(TimeSpan.FromSeconds(Math.Max(0, double.IsFinite(refit.Seconds) ? refit.Seconds : 0))))} apart from the budget</dd>");
        if (automl.AsSelected?.Metrics?.Test is { } test && test.TryGetValue(a.Metric, out var asSelected))
            text.Append($"\n<dt>As selected</dt><dd>test {E(a.Metric)} {NumberFormat.Significant(asSelected)} <span class=\"muted\">(the winner as trained in the search, " +
                        $"on the training rows only; the final model above scores {(a.ShippedTest is { } final ? NumberFormat.Significant(final) : "–")})</span></dd>");
        return text.ToString();
    }
}
