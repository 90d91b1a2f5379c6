using System.Globalization;
using System.Text;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>
/// Task-specific views of the selected model on single test rows: the test images it got wrong as thumbnails, the
/// texts it got wrong most confidently, the sentence pairs it scored worst; and a convolutional network's
/// first-layer filters. The rows come from <see cref="ExperimentResult.TestItems"/> (the runner records only rows
/// worth showing); which of them to show, and in what order, follows from the selected trial's test predictions.
/// Files without these members (schema 1.1) show none of it.
/// </summary>
internal static class ExamplesSection
{
    public const int MaxImages = 24;
    public const int MaxTexts = 10;
    private const int ThumbnailPixels = 48;

    public static void Append(StringBuilder html, ExperimentAnalysis a)
    {
        var parts = new List<string>();
        if (a.Selected is { } selected && Rows(a) is { } rows)
        {
            switch (a.Experiment.Task)
            {
                case "image-classification": parts.Add(Images(a, selected, rows)); break;
                case "text-classification": parts.Add(Texts(a, selected, rows)); break;
                case "sentence-similarity": parts.Add(Pairs(a, selected, rows)); break;
            }
        }
        parts.Add(Filters(a));
        parts.RemoveAll(string.IsNullOrEmpty);
        if (parts.Count == 0) return;
        html.Append($"<h3 id=\"{a.Anchor}-examples\">Examples</h3>\n");
        foreach (var part in parts) html.Append(part);
    }

    /// <summary>The recorded test items by row, when the experiment has labels and predictions to judge them by.</summary>
    private static Dictionary<int, TestItem>? Rows(ExperimentAnalysis a)
    {
        if (a.Experiment.TestItems is not { Count: > 0 } items || a.Experiment.TestLabels is not { Count: > 0 } labels) return null;
        if (a.Selected?.TestPredictions is not { } predictions || predictions.Count != labels.Count) return null;
        var rows = new Dictionary<int, TestItem>();
        foreach (var item in items)
            if (item is not null && item.Row >= 0 && item.Row < labels.Count) rows.TryAdd(item.Row, item);
        return rows;
    }

    private static string Name(ExperimentAnalysis a, TrialResult t) => ReferenceEquals(t, a.Final) ? $"{t.Candidate} (final)" : TrialRanking.Name(t);

    /// <summary>Rows the selected classifier got wrong that have an item, most confident first (row order without confidences).</summary>
    private static List<int> Mistakes(ExperimentAnalysis a, TrialResult t, Dictionary<int, TestItem> rows, Func<TestItem, bool> usable, int count)
    {
        var labels = a.Experiment.TestLabels!;
        var predicted = t.TestPredictions!;
        var confidence = t.TestConfidences is { } c && c.Count == labels.Count ? c : null;
        var wrong = rows.Keys.Where(r => predicted[r] != labels[r] && usable(rows[r])).OrderBy(r => r);
        return [.. (confidence is null ? wrong : wrong.OrderByDescending(r => confidence[r])).Take(count)];
    }

    private static string Confidence(TrialResult t, int row) =>
        t.TestConfidences is { } c && row < c.Count && double.IsFinite(c[row]) ? c[row].ToString("0.00", CultureInfo.InvariantCulture) : "";

    private static string Images(ExperimentAnalysis a, TrialResult t, Dictionary<int, TestItem> rows)
    {
        var shown = Mistakes(a, t, rows, i => i.Image?.StartsWith("data:image/png;base64,", StringComparison.Ordinal) == true, MaxImages);
        if (shown.Count == 0) return "";
        var labels = a.Experiment.TestLabels!;
        var wrong = labels.Select((l, i) => t.TestPredictions![i] != l).Count(w => w);
        var name = Name(a, t);
        var title = $"Misclassified test images: {name}";
        var html = new StringBuilder();
        html.Append($"<figure class=\"examples thumbs\" role=\"group\" aria-label=\"{E(title)}\">\n<p class=\"figure-title\">{E(title)}</p>\n<ul class=\"thumbs\">\n");
        foreach (var row in shown)
        {
            var item = rows[row];
            var actual = a.ClassName((int)labels[row]);
            var predicted = a.ClassName((int)t.TestPredictions![row]);
            var confidence = Confidence(t, row);
            var alt = $"Test image {item.Source ?? $"row {row + 1}"}: actual {actual}, predicted {predicted}" + (confidence.Length > 0 ? $" with probability {confidence}" : "");
            html.Append($"<li><img src=\"{E(item.Image)}\" width=\"{ThumbnailPixels}\" height=\"{ThumbnailPixels}\" alt=\"{E(alt)}\" title=\"{E(alt)}\">" +
                $"<span class=\"thumb-label\"><span class=\"actual\">{E(actual)}</span> → <span class=\"predicted\">{E(predicted)}</span></span></li>\n");
        }
        var order = t.TestConfidences is { } ? "most confident mistakes first" : "in test-row order";
        html.Append($"</ul>\n<figcaption>{N(shown.Count)} of the {N(wrong)} test images {E(name)} got wrong ({order}); under each, actual → predicted class. Thumbnails are enlarged from at most 32×32 pixels.</figcaption>\n</figure>\n");
        return html.ToString();
    }

    private static string Texts(ExperimentAnalysis a, TrialResult t, Dictionary<int, TestItem> rows)
    {
        var shown = Mistakes(a, t, rows, i => i.Text is not null, MaxTexts);
        if (shown.Count == 0) return "";
        var labels = a.Experiment.TestLabels!;
        var name = Name(a, t);
        var html = new StringBuilder();
        html.Append($"<div class=\"table-wrap\"><table class=\"examples worst-texts\">\n<caption>Most confident mistakes of {E(name)} on the test texts: each text with its actual and predicted class and the probability the model gave its prediction.</caption>\n" +
            "<thead><tr><th scope=\"col\" class=\"num\">Test row</th><th scope=\"col\">Text</th><th scope=\"col\">Actual</th><th scope=\"col\">Predicted</th><th scope=\"col\" class=\"num\">Probability</th><th scope=\"col\">Source</th></tr></thead>\n<tbody>\n");
        foreach (var row in shown)
            html.Append($"<tr class=\"worst-text\"><td class=\"num\">{N(row + 1)}</td><td class=\"text\">{E(rows[row].Text)}</td><td class=\"actual\">{E(a.ClassName((int)labels[row]))}</td>" +
                $"<td class=\"predicted\">{E(a.ClassName((int)t.TestPredictions![row]))}</td><td class=\"num probability\">{(Confidence(t, row) is { Length: > 0 } p ? p : Missing)}</td>" +
                $"<td>{(rows[row].Source is null ? Missing : E(rows[row].Source))}</td></tr>\n");
        html.Append("</tbody>\n</table></div>\n");
        return html.ToString();
    }

    private static string Pairs(ExperimentAnalysis a, TrialResult t, Dictionary<int, TestItem> rows)
    {
        var labels = a.Experiment.TestLabels!;
        var predicted = t.TestPredictions!;
        var shown = rows.Keys.Where(r => rows[r].Text is not null && double.IsFinite(predicted[r]))
            .OrderByDescending(r => Math.Abs(predicted[r] - labels[r])).ThenBy(r => r).Take(MaxTexts).ToList();
        if (shown.Count == 0) return "";
        var name = Name(a, t);
        var html = new StringBuilder();
        html.Append($"<div class=\"table-wrap\"><table class=\"examples worst-pairs\">\n<caption>Test pairs {E(name)} scored worst: the largest differences between its score and the gold score, largest first.</caption>\n" +
            "<thead><tr><th scope=\"col\">Sentence 1</th><th scope=\"col\">Sentence 2</th><th scope=\"col\" class=\"num\">Gold</th><th scope=\"col\" class=\"num\">Predicted</th><th scope=\"col\" class=\"num\">|Error|</th><th scope=\"col\">Source</th></tr></thead>\n<tbody>\n");
        foreach (var row in shown)
        {
            var item = rows[row];
            html.Append($"<tr class=\"worst-pair\"><td class=\"text\">{E(item.Text)}</td><td class=\"text\">{E(item.SecondText)}</td>" +
                $"<td class=\"num gold\">{Score(labels[row])}</td><td class=\"num predicted\">{Score(predicted[row])}</td><td class=\"num error\">{Score(Math.Abs(predicted[row] - labels[row]))}</td>" +
                $"<td>{(item.Source is null ? Missing : E(item.Source))}</td></tr>\n");
        }
        html.Append("</tbody>\n</table></div>\n");
        return html.ToString();
    }

    private static string Score(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Filters(ExperimentAnalysis a)
    {
        var trials = a.Ranking.Select(r => r.Trial).Prepend(a.Final).OfType<TrialResult>().Where(t => t.Filters is { Weights.Count: > 0 }).ToList();
        // The selected model's filters when it has them, else those of the best-ranked network that has them.
        if ((trials.FirstOrDefault(t => ReferenceEquals(t, a.Selected)) ?? trials.FirstOrDefault()) is not { } trial) return "";
        var name = Name(a, trial);
        var filters = trial.Filters!;
        var svg = FilterGrid.Svg($"First-layer filters: {name}", filters);
        return ChartsSection.Figure(svg,
            $"The {N(filters.Weights.Count)} learned {filters.Height}×{filters.Width} filters of {name}'s {filters.Layer}, enlarged; each is scaled on its own largest weight (mid-grey 0, white positive, black negative).");
    }
}
