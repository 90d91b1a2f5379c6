using System.Globalization;
using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>
/// The task-specific views, rendered from a recorded schema-1.2 results file (<c>Data/task-views-results.json</c>: real
/// runs on the bundled intents, stsb-small and digits data, recorded by Workbench.Tests' TaskViewsRecordingTests with
/// MLWB_RECORD_TASK_VIEWS set): thumbnails of misclassified images, the most confident text mistakes, the worst-scored
/// pairs and a CNN's first-layer filters.
/// </summary>
public sealed class TaskViewsTests
{
    public static string TaskViewsPath { get; } = Path.Combine(AppContext.BaseDirectory, "Data", "task-views-results.json");

    private static readonly Lazy<RunResults> Results = new(() => ResultsFile.Read(TaskViewsPath));
    private static readonly Lazy<string> Page = new(() => HtmlReport.Render(Results.Value));

    private static ExperimentResult Experiment(string task) => Results.Value.Experiments.Single(e => e.Task == task);

    private static TrialResult Best(ExperimentResult e) => e.Trials.Single(t => t.Candidate == e.Best);

    /// <summary>The page's section of the experiment with <paramref name="task"/>.</summary>
    private static string Section(string task)
    {
        var index = Results.Value.Experiments.FindIndex(e => e.Task == task) + 1;
        return Regex.Match(Page.Value, $@"<section class=""experiment"" id=""experiment-{index}"".*?</section>", RegexOptions.Singleline).Value;
    }

    [Fact]
    public void The_recorded_file_is_schema_1_2_with_every_new_member()
    {
        Assert.Equal("1.2", Results.Value.SchemaVersion);
        Assert.NotEmpty(Experiment("image-classification").TestItems!);
        Assert.NotEmpty(Experiment("text-classification").TestItems!);
        Assert.NotEmpty(Experiment("sentence-similarity").TestItems!);
        Assert.NotNull(Best(Experiment("text-classification")).TestConfidences);
        Assert.Contains(Experiment("image-classification").Trials, t => t.Filters is { Weights.Count: > 0 });
    }

    [Fact]
    public void Misclassified_images_are_embedded_as_thumbnails_with_their_classes()
    {
        var e = Experiment("image-classification");
        var best = Best(e);
        var html = Section("image-classification");
        var images = Regex.Matches(html, @"<img src=""data:image/png;base64,([A-Za-z0-9+/=]+)"" width=""48"" height=""48"" alt=""([^""]+)""").ToList();
        var wrong = Enumerable.Range(0, e.TestLabels!.Count).Count(i => best.TestPredictions![i] != e.TestLabels[i]);
        Assert.Equal(Math.Min(24, wrong), images.Count);
        Assert.Equal(e.TestItems!.Count, images.Count);
        Assert.Contains($"Misclassified test images: {best.Candidate}", html);
        foreach (var (image, item) in images.Zip(e.TestItems))
        {
            var png = Convert.FromBase64String(image.Groups[1].Value);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            Assert.True(png.Length < 1024, $"a thumbnail of {png.Length} bytes");
            var actual = e.ClassNames![(int)e.TestLabels[item.Row]];
            var predicted = e.ClassNames[(int)best.TestPredictions![item.Row]];
            var probability = best.TestConfidences![item.Row].ToString("0.00", CultureInfo.InvariantCulture);
            Assert.Equal($"Test image {item.Source}: actual {actual}, predicted {predicted} with probability {probability}", image.Groups[2].Value);
        }
        // Most confident mistakes first.
        var shown = e.TestItems.Select(i => best.TestConfidences![i.Row]).ToList();
        Assert.Equal(shown.OrderByDescending(c => c), shown);
        Assert.Contains($"{images.Count} of the {wrong} test images {best.Candidate} got wrong (most confident mistakes first)", html);
    }

    [Fact]
    public void The_most_confident_text_mistakes_are_listed_with_text_classes_and_probability()
    {
        var e = Experiment("text-classification");
        var best = Best(e);
        var rows = Regex.Matches(Section("text-classification"),
            @"<tr class=""worst-text""><td class=""num"">(\d+)</td><td class=""text"">(.*?)</td><td class=""actual"">(.*?)</td><td class=""predicted"">(.*?)</td><td class=""num probability"">(.*?)</td><td>(.*?)</td></tr>").ToList();
        var expected = e.TestItems!.Select(i => i.Row).Where(r => best.TestPredictions![r] != e.TestLabels![r])
            .OrderByDescending(r => best.TestConfidences![r]).Take(10).ToList();
        Assert.Equal(expected.Count, rows.Count);
        Assert.InRange(rows.Count, 1, 10);
        foreach (var (row, m) in expected.Zip(rows))
        {
            Assert.Equal(row + 1, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            Assert.Equal(e.TestItems!.Single(i => i.Row == row).Text, Sample.PlainText(m.Groups[2].Value));
            Assert.Equal(e.ClassNames![(int)e.TestLabels![row]], Sample.PlainText(m.Groups[3].Value));
            Assert.Equal(e.ClassNames[(int)best.TestPredictions![row]], Sample.PlainText(m.Groups[4].Value));
            Assert.NotEqual(m.Groups[3].Value, m.Groups[4].Value);
            Assert.Equal(best.TestConfidences![row].ToString("0.00", CultureInfo.InvariantCulture), m.Groups[5].Value);
            Assert.Matches(@"^line \d+$", m.Groups[6].Value);
            Assert.Equal(e.TestItems!.Single(i => i.Row == row).Source, m.Groups[6].Value);
        }
    }

    [Fact]
    public void The_worst_scored_pairs_are_listed_with_gold_and_predicted_scores_largest_error_first()
    {
        var e = Experiment("sentence-similarity");
        var best = Best(e);
        var rows = Regex.Matches(Section("sentence-similarity"),
            @"<tr class=""worst-pair""><td class=""text"">(.*?)</td><td class=""text"">(.*?)</td><td class=""num gold"">(.*?)</td><td class=""num predicted"">(.*?)</td><td class=""num error"">(.*?)</td><td>(.*?)</td></tr>").ToList();
        Assert.Equal(Math.Min(10, e.TestItems!.Count), rows.Count);
        var errors = rows.Select(m => double.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(errors.OrderByDescending(x => x), errors);
        foreach (var m in rows)
        {
            var item = e.TestItems.Single(i => i.Text == Sample.PlainText(m.Groups[1].Value) && i.SecondText == Sample.PlainText(m.Groups[2].Value));
            Assert.Equal(e.TestLabels![item.Row].ToString("0.00", CultureInfo.InvariantCulture), m.Groups[3].Value);
            Assert.Equal(best.TestPredictions![item.Row].ToString("0.00", CultureInfo.InvariantCulture), m.Groups[4].Value);
            Assert.Equal(item.Source, m.Groups[6].Value);
        }
        // No pair left out is worse than the last one shown.
        var shownRows = rows.Select(m => e.TestItems.Single(i => i.Text == Sample.PlainText(m.Groups[1].Value) && i.SecondText == Sample.PlainText(m.Groups[2].Value)).Row).ToHashSet();
        var worstLeftOut = Enumerable.Range(0, e.TestLabels!.Count).Where(r => !shownRows.Contains(r)).Max(r => Math.Abs(best.TestPredictions![r] - e.TestLabels[r]));
        Assert.True(worstLeftOut <= errors[^1] + 0.005, $"a pair with error {worstLeftOut} is not shown");
    }

    [Fact]
    public void The_cnn_s_first_layer_filters_are_drawn_as_a_grid_with_a_title_and_a_text_alternative()
    {
        var e = Experiment("image-classification");
        var trial = e.Trials.First(t => t.Filters is { Weights.Count: > 0 });
        var filters = trial.Filters!;
        var svg = Sample.Svgs(Section("image-classification")).Single(s => s.Contains("First-layer filters", StringComparison.Ordinal));
        Assert.Contains($"aria-label=\"First-layer filters: {trial.Candidate}\"", svg);
        Assert.Contains($"<title>First-layer filters: {trial.Candidate}</title>", svg);
        Assert.Matches("<desc>[^<]{20,}</desc>", svg);
        Assert.Equal(filters.Weights.Count, Regex.Matches(svg, "<g class=\"filter\">").Count);
        Assert.Equal(filters.Weights.Count * filters.Height * filters.Width, Regex.Matches(svg, @"<rect x=""\d+"" y=""\d+"" width=""\d+"" height=""\d+"" fill=""#[0-9a-f]{6}""/>").Count);
        // Each filter is scaled on its own largest weight: that weight is white (positive) or black (negative).
        Assert.True(svg.Contains("fill=\"#ffffff\"/>", StringComparison.Ordinal) || svg.Contains("fill=\"#000000\"/>", StringComparison.Ordinal));
        Assert.Matches(@"</svg>\s*<figcaption>[^<]{20,}</figcaption>", Section("image-classification"));
    }

    [Fact]
    public void The_page_allows_only_data_images_and_stays_self_contained()
    {
        var html = Page.Value;
        Assert.Contains("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-", html);
        Assert.All(Regex.Matches(html, @"\ssrc=""([^""]*)""").Select(m => m.Groups[1].Value), src => Assert.StartsWith("data:image/png;base64,", src));
        var withoutData = Regex.Replace(html, @"data:image/png;base64,[A-Za-z0-9+/=]+", "").Replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        Assert.DoesNotContain("http:", withoutData);
        Assert.DoesNotContain("//", withoutData);
        Assert.Single(Regex.Matches(html, "<script"));
    }

    [Fact]
    public void A_schema_1_1_file_without_the_new_members_renders_without_examples()
    {
        var results = Samples.Classification();
        Assert.Equal("1.1", results.SchemaVersion);
        Assert.All(results.Experiments, e => Assert.Null(e.TestItems));
        var html = HtmlReport.Render(results);
        Assert.DoesNotContain("<h3>Examples</h3>", html);
        Assert.DoesNotContain("<img", html);
        Assert.Contains("Confusion matrix", html);

        // The same for a 1.2 experiment of an example task that recorded no items or filters (e.g. no mistakes).
        var copy = ResultsFile.Read(TaskViewsPath);
        foreach (var e in copy.Experiments)
        {
            e.TestItems = null;
            foreach (var t in e.Trials) (t.Filters, t.TestConfidences) = (null, null);
        }
        html = HtmlReport.Render(copy);
        Assert.DoesNotContain("<h3>Examples</h3>", html);
        Assert.DoesNotContain("<img", html);
    }

    [Fact]
    public void Learning_curves_put_one_measure_on_each_axis()
    {
        var titles = Sample.Svgs(Section("image-classification")).Select(s => Regex.Match(s, "<title>([^<]+)</title>").Groups[1].Value).ToList();

        // cross-entropy and accuracy on two charts, not one axis labelled "value"
        Assert.Contains("cnn: train cross-entropy and validation cross-entropy", titles);
        Assert.Contains("cnn: validation accuracy", titles);
        Assert.DoesNotContain(Sample.Svgs(Section("image-classification")), s => s.Contains(">value</text>"));
    }
}
