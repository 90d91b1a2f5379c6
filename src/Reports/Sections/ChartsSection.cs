using System.Text;
using MLWorkbench.Reports.Statistics;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>
/// An experiment's charts, in groups: how the models rank and what they cost, how the selected model
/// errs, how the search progressed, and how the models learned.
/// </summary>
internal static class ChartsSection
{
    private const int LeaderboardBars = 15;
    private const int CurveModels = 5;
    private const int ImportanceBars = 20;

    public static void Append(StringBuilder html, ExperimentAnalysis a, SearchGroups searches)
    {
        var groups = new List<(string Heading, List<string> Figures)>
        {
            ("Ranking and cost", [.. Ranking(a), .. ThresholdCurves(a)]),
            (SelectedHeading(a), [.. SelectedModel(a)]),
            ("Search", [.. Search(a, searches)]),
            ("Learning curves", [.. LearningCurves(a)]),
        };
        // A chart with too little data to draw is an empty string; a group left without charts is left out.
        foreach (var group in groups) group.Figures.RemoveAll(string.IsNullOrEmpty);
        html.Append($"<h3 id=\"{a.Anchor}-charts\">Charts</h3>\n");
        if (groups.All(g => g.Figures.Count == 0))
        {
            html.Append("<p class=\"note\">No candidate has a score or a learning curve to chart.</p>\n");
            return;
        }
        foreach (var (heading, figures) in groups.Where(g => g.Figures.Count > 0))
            html.Append($"<h4>{E(heading)}</h4>\n<div class=\"charts\">\n{string.Concat(figures)}</div>\n");
    }

    /// <summary>A chart and its caption as a figure; empty when there is no chart.</summary>
    public static string Figure(string svg, string caption) =>
        string.IsNullOrEmpty(svg) ? "" : $"<figure class=\"chart\">\n{svg}<figcaption>{E(caption)}</figcaption>\n</figure>\n";

    private static IEnumerable<string> Ranking(ExperimentAnalysis a)
    {
        var e = a.Experiment;
        var pm = e.PrimaryMetric;
        var ranked = a.Ranked.ToList();
        if (ranked.Count == 0) yield break;
        var direction = ExperimentSection.Direction(e);
        var unit = a.Final is null && e.AutoML is null ? "candidate" : "trial";
        // Drawn in the leaderboard's order (the selection score); the test score is what is drawn when every
        // candidate has one, so the chart shows what the selection earned without reordering anything.
        var useTest = a.Basis == RankBasis.Validation && ranked.All(r => TrialRanking.TestPrimary(r.Trial, pm) is not null);
        double Value(RankedTrial r) => useTest ? TrialRanking.TestPrimary(r.Trial, pm)!.Value : r.Score!.Value;
        Interval? IntervalOf(RankedTrial r) => useTest ? a.TestInterval(r.Trial) : a.ValidationInterval(r.Trial) ?? (a.Basis == RankBasis.Test ? a.TestInterval(r.Trial) : null);
        var label = useTest ? $"test {pm}" : a.BasisLabel;
        var metricLabel = $"{label} ({direction})";
        var order = useTest ? $", in {a.BasisLabel} order" : "";
        var shown = ranked.Take(LeaderboardBars).ToList();
        var intervals = shown.Select(IntervalOf).ToList();
        var whiskers = intervals.Any(i => i is not null);
        var selected = shown.FindIndex(r => ReferenceEquals(r.Trial, a.SelectedRow));
        var caption = $"{Capital(label)} of every {unit} that succeeded, ranked by {a.BasisLabel} as in the leaderboard ({direction}); only the selected model is green." +
            (ranked.Count > shown.Count ? $" The {shown.Count} best of {ranked.Count} are shown." : "") +
            (whiskers ? $" Whiskers: 95% confidence interval ({IntervalWords(intervals)})." : "");
        yield return Figure(Charts.Leaderboard($"{Capital(label)} by {unit}{order}", metricLabel, [.. shown.Select(r => TrialRanking.Name(r.Trial))], [.. shown.Select(Value)],
            whiskers ? [.. intervals.Select(i => i?.Low ?? double.NaN)] : null,
            whiskers ? [.. intervals.Select(i => i?.High ?? double.NaN)] : null, selected, Charts.MetricBounds(pm)), caption);

        var better = e.HigherIsBetter ? "higher" : "lower";
        var front = $"The grey line joins the Pareto front: the {unit}s no other beats on both at once.";
        var all = ranked.FindIndex(r => ReferenceEquals(r.Trial, a.SelectedRow));
        if (ranked.Count >= 2)
            yield return Figure(
                Charts.MetricVersusCost($"{Capital(label)} against training time", "training time (s)", metricLabel,
                    [.. ranked.Select(r => TrialRanking.Name(r.Trial))], [.. ranked.Select(r => r.Trial.TrainSeconds)], [.. ranked.Select(Value)],
                    e.HigherIsBetter, highlight: all, bounds: Charts.MetricBounds(pm)),
                $"Each point is a {unit}: further left trains faster, {better} scores better; the selected model is green. {front}");
        var timed = ranked.Where(r => r.Trial.PredictMicrosecondsPerRow > 0 && double.IsFinite(r.Trial.PredictMicrosecondsPerRow)).ToList();
        if (timed.Count >= 2)
            yield return Figure(
                Charts.MetricVersusCost($"{Capital(label)} against prediction latency", "prediction latency (µs per row)", metricLabel,
                    [.. timed.Select(r => TrialRanking.Name(r.Trial))], [.. timed.Select(r => r.Trial.PredictMicrosecondsPerRow)], [.. timed.Select(Value)],
                    e.HigherIsBetter, highlight: timed.FindIndex(r => ReferenceEquals(r.Trial, a.SelectedRow)), bounds: Charts.MetricBounds(pm)),
                $"Each point is a {unit}: further left predicts faster (mean time per test row), {better} scores better; the selected model is green. {front}");
    }

    private static IEnumerable<string> ThresholdCurves(ExperimentAnalysis a)
    {
        var labels = a.Experiment.TestLabels;
        if (!a.IsBinary || labels is null || labels.Count == 0) yield break;
        var models = new List<(string Name, List<double> Scores)>();
        if (a.Final?.TestScores is { } finalScores && finalScores.Count == labels.Count)
            models.Add(($"{a.Final.Candidate} (final)", finalScores));
        models.AddRange(a.Ranked.Where(r => r.Trial.TestScores?.Count == labels.Count).Take(CurveModels)
            .Select(r => (TrialRanking.Name(r.Trial), r.Trial.TestScores!)));
        if (models.Count == 0) yield break;
        var positive = a.ClassName(1);
        var which = models.Count == 1 ? models[0].Name : $"the {models.Count} models ranked highest by {a.BasisLabel} that have test scores";

        var roc = models.Select(m => (m.Name, Curve: Statistics.ScoreCurves.Roc(labels, m.Scores))).Where(m => m.Curve is not null).ToList();
        if (roc.Count > 0)
            yield return Figure(
                Charts.Roc("ROC curves on the test rows", [.. roc.Select(m => m.Name)], [.. roc.Select(m => m.Curve!.Value.FalsePositiveRate)],
                    [.. roc.Select(m => m.Curve!.Value.TruePositiveRate)], [.. roc.Select(m => m.Curve!.Value.Area)]),
                $"True against false positive rate of {which} as the threshold on the probability of {positive} falls; the area under the curve (AUC) is in the legend.");
        var pr = models.Select(m => (m.Name, Curve: Statistics.ScoreCurves.PrecisionRecall(labels, m.Scores))).Where(m => m.Curve is not null).ToList();
        if (pr.Count > 0)
            yield return Figure(
                Charts.PrecisionRecall("Precision-recall curves on the test rows", [.. pr.Select(m => m.Name)], [.. pr.Select(m => m.Curve!.Value.Recall)],
                    [.. pr.Select(m => m.Curve!.Value.Precision)], [.. pr.Select(m => m.Curve!.Value.AveragePrecision)], pr[0].Curve!.Value.Prevalence),
                $"Precision against recall of {which} for the positive class {positive}; average precision (AP) in the legend. Useful when {positive} is rare.");
    }

    private static string SelectedHeading(ExperimentAnalysis a) =>
        a.Selected is null ? "Selected model" : $"Selected model: {SelectedName(a)}";

    private static string SelectedName(ExperimentAnalysis a) =>
        a.Final is not null ? $"{a.Final.Candidate} (final)" : TrialRanking.Name(a.Selected!);

    private static IEnumerable<string> SelectedModel(ExperimentAnalysis a)
    {
        var e = a.Experiment;
        var labels = e.TestLabels;
        if (a.Selected is { } selected && labels is { Count: > 0 } && selected.TestPredictions is { } predictions && predictions.Count == labels.Count)
        {
            var name = SelectedName(a);
            if (a.IsClassification)
            {
                var counts = RowMetrics.Confusion(labels, predictions, a.Classes);
                long right = 0;
                for (var c = 0; c < a.Classes; c++) right += counts[c, c];
                yield return Figure(
                    Charts.ConfusionMatrix($"Confusion matrix: {name}", [.. Enumerable.Range(0, a.Classes).Select(a.ClassName)], counts),
                    $"The {N(labels.Count)} test rows by actual class (rows) and predicted class (columns); {N((int)right)} are on the diagonal, right. A cell's shade is its share of the actual class's rows.");
            }
            else if (a.IsRegression)
            {
                var label = string.IsNullOrWhiteSpace(e.Dataset?.Label) ? "value" : e.Dataset.Label;
                double[] actual = [.. labels], predicted = [.. predictions];
                yield return Figure(Charts.PredictedVersusActual($"Predicted against actual: {name}", label, actual, predicted),
                    $"One point per test row ({N(labels.Count)}); on the dashed diagonal the prediction is exact, above it too high, below it too low.");
                yield return Figure(Charts.Residuals($"Residuals: {name}", label, predicted, actual),
                    "Actual minus predicted against the prediction: an even band around zero is good; a funnel or a curve shows where the model is biased.");
            }
        }
        if (e.FeatureImportance is { Count: > 0 } importance)
        {
            var top = importance.Where(f => double.IsFinite(f.Importance)).OrderByDescending(f => f.Importance).Take(ImportanceBars).ToList();
            var more = importance.Count > top.Count ? $" The {top.Count} largest of {importance.Count} are shown." : "";
            var measure = LeaderboardSection.LowerIsBetter(e.PrimaryMetric) ? $"increase of test {e.PrimaryMetric} when shuffled" : $"decrease of test {e.PrimaryMetric} when shuffled";
            yield return Figure(
                Charts.FeatureImportance("Permutation feature importance", measure, [.. top.Select(f => f.Feature)], [.. top.Select(f => f.Importance)],
                    [.. top.Select(f => double.IsFinite(f.StandardDeviation) ? f.StandardDeviation : 0)]),
                $"How much worse {(a.Selected is null ? "the selected model" : SelectedName(a))} scores on the test rows when one column's values are shuffled; whiskers: ± one standard deviation over the repeats. Near zero, the model barely uses the column.{more}");
        }
    }

    private static IEnumerable<string> Search(ExperimentAnalysis a, SearchGroups searches)
    {
        if (a.Experiment.AutoML is null) yield break;
        var group = searches.GroupOf(a);
        if (group.Count == 1)
            yield return SearchGroups.BestSoFarFigure(group);
        else
            yield return $"<p class=\"note\">This search's best-so-far curve is drawn with the other searches on the same data in <a href=\"#{searches.Anchor(group)}\">AutoML searches compared</a>.</p>\n";
    }

    private static IEnumerable<string> LearningCurves(ExperimentAnalysis a)
    {
        var curved = a.Ranking.Where(r => (r.Trial.Curves ?? []).Any(c => c.Values is { Count: > 0 })).Select(r => r.Trial);
        if (a.Final is { } final && (final.Curves ?? []).Any(c => c.Values is { Count: > 0 })) curved = curved.Prepend(final);
        foreach (var trial in curved)
        {
            var name = ReferenceEquals(trial, a.Final) ? $"{trial.Candidate} (final)" : TrialRanking.Name(trial);
            // One measure per chart: train and validation loss share an axis, accuracy gets its own.
            foreach (var group in trial.Curves.Where(c => c.Values is { Count: > 0 }).GroupBy(c => (Per: c.Per ?? "step", Measure: Measure(c.Name))))
            {
                var curves = group.ToList();
                var names = curves.Select(c => c.Name ?? "").ToArray();
                var title = $"{name}: {string.Join(" and ", names)}";
                if (title.Length > 60) title = $"{name}: {group.Key.Measure}";
                var status = trial.Status == TrialStatus.Succeeded ? "" : $" The trial {trial.Status}.";
                var measure = names.Length == 1 ? names[0] : group.Key.Measure;
                yield return Figure(
                    Charts.Curves(title, group.Key.Per, measure, names, [.. curves.Select(c => c.Values.ToArray())], Charts.MetricBounds(group.Key.Measure)),
                    $"{name} ({trial.Family}): {string.Join(", ", names)} per {group.Key.Per}, as recorded while it trained.{status}");
            }
        }
    }

    private static string IntervalWords(List<Interval?> intervals)
    {
        var rows = intervals.FirstOrDefault(i => i?.Method == IntervalMethod.Bootstrap);
        var folds = intervals.Any(i => i?.Method == IntervalMethod.Folds);
        if (rows is not null && folds) return $"bootstrap over {N(rows.Units)} test rows, or from the folds where rows were not recorded";
        return rows is not null ? $"percentile bootstrap over the {N(rows.Units)} test rows" : "mean ± t·sd/√k over the cross-validation folds";
    }

    private static string Capital(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    // "train loss" and "validation loss" measure "loss"; "validation accuracy" measures "accuracy".
    private static string Measure(string? name)
    {
        var words = (name ?? "").Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (words.Count > 1 && words[0].ToLowerInvariant() is "train" or "training" or "validation" or "valid" or "test") words.RemoveAt(0);
        return words.Count == 0 ? "value" : string.Join(' ', words);
    }
}
