using System.Globalization;
using System.Text;
using MLWorkbench.Reports.Statistics;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>
/// The top of every experiment: which model to ship, by which rule, what it scores on the test rows, by how much
/// it beats the runner-up and a model that learned nothing (in the metric's units, with intervals), what it
/// costs, and a warning when validation and test disagree or a learning curve shows over-fitting.
/// </summary>
internal static class DecisionSection
{
    public static void Append(StringBuilder html, ExperimentAnalysis a)
    {
        var e = a.Experiment;
        html.Append($"<div class=\"decision\" id=\"{a.Anchor}-decision\">\n");
        if (a.Final is { Status: not TrialStatus.Succeeded } failed)
        {
            html.Append($"<p class=\"decision-head\">Nothing to ship: the final refit of <strong>{E(failed.Candidate)}</strong> {E(failed.Status)}.</p>\n</div>\n");
            return;
        }
        if (a.Shipped is not { } shipped)
        {
            html.Append("<p class=\"decision-head\">Nothing to ship: no candidate succeeded with a validation score.</p>\n</div>\n");
            return;
        }
        var pm = E(a.Metric);
        html.Append($"<p class=\"decision-head\">Ship <strong class=\"decision-model\">{E(a.ShippedName)}</strong> <span class=\"muted\">({E(shipped.Family)})</span></p>\n<dl class=\"decision-facts\">\n");
        html.Append($"<dt>Why</dt><dd data-field=\"rule\">{Rule(a)}</dd>\n");
        html.Append($"<dt>Test {pm}</dt><dd data-field=\"test\">{TestScore(a, shipped)}</dd>\n");
        html.Append($"<dt>Over the runner-up</dt><dd data-field=\"runner-up\">{RunnerUp(a)}</dd>\n");
        html.Append($"<dt>Over the baseline</dt><dd data-field=\"baseline\">{OverBaseline(a)}</dd>\n");
        html.Append($"<dt>Cost</dt><dd data-field=\"cost\">{Cost(shipped)}</dd>\n");
        html.Append("</dl>\n");
        foreach (var warning in WarningsOf(a))
            html.Append($"<p class=\"warning\" data-field=\"warning\">{warning}</p>\n");
        html.Append("</div>\n");
    }

    // "Highest validation accuracy (higher is better) of the 6 candidates that succeeded, on the 36 validation rows; ..."
    private static string Rule(ExperimentAnalysis a)
    {
        var e = a.Experiment;
        var best = e.HigherIsBetter ? "Highest" : "Lowest";
        var ranked = a.Ranked.ToList();
        var row = a.SelectedRow;
        var score = row is null ? null : TrialRanking.Score(row, a.Metric, a.Basis);
        var text = new StringBuilder();
        if (a.Basis == RankBasis.Test)
            text.Append($"{best} test {E(a.Metric)} ({ExperimentSection.Direction(e)}): the results hold no validation scores to select on.");
        else if (e.AutoML is { } automl)
        {
            var scoredBy = automl.Folds > 1 ? $"mean over {automl.Folds} cross-validation folds" : $"on the {N(e.Split?.ValidationRows ?? 0)} validation rows";
            text.Append($"{best} validation {E(a.Metric)} ({ExperimentSection.Direction(e)}, {scoredBy}) of {Count(ranked.Count, "scored trial")} in a {E(automl.Tuner)} search" +
                        $"{(row is null ? "" : $": {E(TrialRanking.Name(row))} at {MetricText(score)}")}, refitted on all training rows; the test rows scored only this final model.");
        }
        else
        {
            var rows = e.Split?.ValidationRows is > 0 and var v ? $", on the {N(v)} validation rows" : "";
            text.Append($"{best} validation {E(a.Metric)} ({ExperimentSection.Direction(e)}) of the {Count(ranked.Count, "candidate")} that succeeded{rows}: {MetricText(score)}. " +
                        "Selection never looks at the test rows.");
        }
        if (row is not null && score is not null)
        {
            var tied = ranked.Where(r => !ReferenceEquals(r.Trial, row) && r.Score is { } other && a.Tied(other, score.Value)).ToList();
            // Under the selection rule the training times decide most ties: show them.
            string Trained(TrialResult t) => a.TieBreak == TieBreak.Rule ? $", trained in {E(NumberFormat.Duration(TimeSpan.FromSeconds(Math.Max(0, double.IsFinite(t.TrainSeconds) ? t.TrainSeconds : 0))))}" : "";
            if (tied.Count > 0)
                text.Append($" <span class=\"tie-note\">Tied with {string.Join(", ", tied.Select(r => $"{E(TrialRanking.Name(r.Trial))} ({MetricText(r.Score)}{Trained(r.Trial)})"))}" +
                            $" (the selected {E(TrialRanking.Name(row))}: {MetricText(score)}{Trained(row)}): {E(a.TieRule)}.</span>");
        }
        return text.ToString();
    }

    private static string TestScore(ExperimentAnalysis a, TrialResult shipped)
    {
        if (a.ShippedTest is not { } test) return "<span class=\"na\">not scored on test rows</span>";
        var interval = a.TestInterval(shipped);
        return interval is null
            ? $"<strong>{NumberFormat.Significant(test)}</strong> <span class=\"muted\">(no per-row predictions recorded, so no interval)</span>"
            : $"<strong>{NumberFormat.Significant(test)}</strong>, 95% CI {Range(interval.Low, interval.High)} <span class=\"muted\">(percentile bootstrap over {N(interval.Units)} test rows)</span>";
    }

    private static string RunnerUp(ExperimentAnalysis a)
    {
        var top = a.Comparisons.FirstOrDefault(c => c.First.Rank == 1 && c.Second.Rank == 2);
        var second = a.Ranked.Skip(1).FirstOrDefault();
        if (second is null) return "<span class=\"na\">no other candidate scored</span>";
        var name = E(TrialRanking.Name(second.Trial));
        if (a.Ranked.First().Trial != a.SelectedRow)
            return $"<span class=\"na\">the selected model is not ranked first; see the leaderboard</span>";
        if (top?.Result is not { } r)
            return $"{name}: <span class=\"na\">no shared test rows or folds to compare on</span>";
        var scope = r.Method == PairedMethod.Bootstrap ? "test" : "validation";
        return $"against {name} {E(ExperimentAnalysis.Units(r))}: {Difference(a, r, top.Adjusted, $"{scope} {a.Metric}")}";
    }

    private static string OverBaseline(ExperimentAnalysis a)
    {
        if (a.Baseline is not { } b)
            return a.Experiment.TestLabels is { Count: > 0 }
                ? $"<span class=\"na\">no baseline for {E(a.Metric)}: a constant prediction has no {E(a.Metric)}</span>"
                : "<span class=\"na\">the results hold no test labels to score a baseline on</span>";
        var score = $"{E(b.Name)}, test {E(a.Metric)} {NumberFormat.Significant(b.Score)}{(b.Interval is { } i ? $" {Range(i.Low, i.High)}" : "")}";
        if (b.Comparison is not { } r) return $"{score}; <span class=\"na\">the selected model has no per-row predictions to compare</span>";
        return $"against the {score}: {Difference(a, r, b.Adjusted, $"test {a.Metric}")} <span class=\"muted\">(the baseline {E(b.How)})</span>";
    }

    // "+0.0278 test accuracy, 95% CI [0, 0.0833]; Holm-adjusted p = 0.84: cannot be told apart"
    private static string Difference(ExperimentAnalysis a, PairedResult r, double adjusted, string units)
    {
        var better = a.FirstIsBetter(r);
        var verdict = double.IsNaN(adjusted) ? "" : adjusted < 0.05 ? (better ? ": better" : ": worse") : ": cannot be told apart";
        var ci = double.IsFinite(r.Low) ? $" (95% CI {Range(r.Low, r.High)})" : "";
        var p = double.IsNaN(adjusted) ? "" : $"; Holm-adjusted {E(P(adjusted))}";
        return $"<strong>{Signed(r.Difference)}</strong> {E(units)}{ci}{p}<span class=\"verdict-word\">{verdict}</span>";
    }

    private static string Cost(TrialResult t)
    {
        var parts = new List<string>
        {
            t.ModelBytes is { } bytes
                ? $"model {E(NumberFormat.Bytes(bytes))}{(t.PretrainedBytes is { } p ? $" + {E(NumberFormat.Bytes(p))} of pretrained files" : "")}"
                : "model size not measured",
            t.PredictMicrosecondsPerRow > 0 && double.IsFinite(t.PredictMicrosecondsPerRow)
                ? $"{NumberFormat.Significant(t.PredictMicrosecondsPerRow)} µs per row to predict"
                : "prediction time not measured",
            $"trained in {E(NumberFormat.Duration(TimeSpan.FromSeconds(Math.Max(0, double.IsFinite(t.TrainSeconds) ? t.TrainSeconds : 0))))}",
        };
        return string.Join("; ", parts);
    }

    private static IEnumerable<string> WarningsOf(ExperimentAnalysis a)
    {
        var row = a.SelectedRow;
        if (a.Basis == RankBasis.Validation && row is not null && a.Shipped is { } shipped
            && TrialRanking.ValidationPrimary(row, a.Metric) is { } validation && a.ShippedTest is { } test)
        {
            var vi = a.ValidationInterval(row);
            var ti = a.TestInterval(shipped);
            if (Warnings.Disagree(validation, vi, test, ti))
            {
                var vText = $"validation {E(a.Metric)} {NumberFormat.Significant(validation)}{(vi is null ? "" : $" (95% CI {Range(vi.Low, vi.High)} over {vi.Units} folds)")}";
                var tText = $"test {E(a.Metric)} {NumberFormat.Significant(test)}{(ti is null ? "" : $" (95% CI {Range(ti.Low, ti.High)})")}";
                var worse = a.Experiment.HigherIsBetter ? test < validation : test > validation;
                var why = worse
                    ? "The validation score of the best of several models is optimistic, and the test rows may differ from the training rows: expect about the test score in use."
                    : "The test rows look easier than the validation rows (or the refit on more rows helped): the test score may flatter the model; expect something between the two.";
                yield return $"<strong>Validation and test disagree beyond their intervals:</strong> {vText}, {tText}. {why}";
            }
        }
        foreach (var trial in new[] { a.Shipped, row }.OfType<TrialResult>().Distinct())
            if (Warnings.OverFitting(trial) is { } rise)
            {
                var who = ReferenceEquals(trial, a.Final) ? a.ShippedName : TrialRanking.Name(trial);
                yield return $"<strong>Over-fitting:</strong> the {E(rise.Curve)} of {E(who)} fell to {NumberFormat.Significant(rise.Lowest)} at {E(rise.Per)} {rise.LowestAt} " +
                             $"and rose to {NumberFormat.Significant(rise.End)} by {E(rise.Per)} {rise.Last}. Stopping earlier (or keeping the best {E(rise.Per)}'s weights) or more regularisation should help.";
                break;
            }
    }

    private static string Count(int n, string noun) => $"{N(n)} {noun}{(n == 1 ? "" : "s")}";
}
