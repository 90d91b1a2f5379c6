using System.Text.Json;
using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

public class HtmlReportTests
{
    [Fact]
    public void Sample_has_at_least_three_charts_each_with_a_title_and_a_text_alternative()
    {
        var svgs = Sample.Svgs(Sample.Html);

        Assert.True(svgs.Count >= 3, $"expected at least 3 charts, found {svgs.Count}");
        foreach (var svg in svgs)
        {
            Assert.Matches(@"^<svg [^>]*role=""img""", svg);
            Assert.Matches(@"^<svg [^>]*aria-label=""[^""]{5,}""", svg);
            var title = Regex.Match(svg, "<title>([^<]+)</title>").Groups[1].Value;
            Assert.False(string.IsNullOrWhiteSpace(title));
            Assert.Matches("<desc>[^<]{10,}</desc>", svg);
            // The title is drawn as text, not only named: the chart font was found.
            Assert.Contains($">{title}</text>", svg);
            Assert.True(Regex.Matches(svg, "<text ").Count >= 5, "axis labels and tick labels are text");
        }
        Assert.Equal(svgs.Count, Regex.Matches(Sample.Html, @"<figure class=""chart"">\s*<svg ").Count);
        Assert.Equal(svgs.Count, Regex.Matches(Sample.Html, @"</svg>\s*<figcaption>[^<]{10,}</figcaption>").Count);
    }

    [Fact]
    public void Sample_charts_include_the_leaderboard_both_tradeoffs_and_both_learning_curves()
    {
        var titles = Sample.Svgs(Sample.Html).Select(s => Regex.Match(s, "<title>([^<]+)</title>").Groups[1].Value).ToList();

        Assert.Equal(
            ["Test rmse by candidate, in validation rmse order", "Test rmse against training time", "Test rmse against prediction latency", "linear-gd: train MAE", "mlp: train loss and validation loss"],
            titles);
    }

    [Fact]
    public void Leaderboard_rows_are_ranked_by_validation_rmse_with_test_beside_it_and_the_numbers_of_the_file()
    {
        var rows = Sample.LeaderboardRows(Sample.Html);
        var trials = Sample.Json().GetProperty("experiments")[0].GetProperty("trials").EnumerateArray()
            .ToDictionary(t => t.GetProperty("candidate").GetString()!);

        // Lower validation rmse is better (the selection score; sdca has the best test rmse but ranks third);
        // gam failed and comes last, unranked.
        Assert.Equal(["fastforest", "linear-gd", "sdca", "mlp", "lightgbm", "fasttree", "gam"],
            rows.Select(r => r.Cells["candidate"].Replace("selected", "").Trim()));
        for (var i = 0; i < 6; i++)
        {
            var (rowClass, cells) = rows[i];
            var trial = trials[cells["candidate"].Replace("selected", "").Trim()];
            var test = trial.GetProperty("metrics").GetProperty("test");
            Assert.Equal($"trial rank-{i + 1}{(i == 0 ? " selected" : "")}", rowClass);
            Assert.Equal((i + 1).ToString(), cells["num rank"]);
            Assert.Equal(NumberFormat.Significant(trial.GetProperty("metrics").GetProperty("validation").GetProperty("rmse").GetDouble()), cells["num primary validation"]);
            Assert.Equal(NumberFormat.Significant(test.GetProperty("rmse").GetDouble()), cells["num primary test"]);
            Assert.Equal(NumberFormat.Significant(trial.GetProperty("trainSeconds").GetDouble()), cells["num seconds"]);
            Assert.Equal(NumberFormat.Significant(trial.GetProperty("predictMicrosecondsPerRow").GetDouble()), cells["num predict"]);
        }
        // The same numbers as a reader sees them, written out once.
        Assert.Equal("54.87", rows[0].Cells["num primary test"]);
        Assert.Equal("55.52", rows[0].Cells["num primary validation"]);
        Assert.Equal("0.07656", rows[4].Cells["num seconds"]);
        for (var i = 0; i < 6; i++)
            foreach (var metric in new[] { "mae", "r2" })
            {
                var trial = trials[rows[i].Cells["candidate"].Replace("selected", "").Trim()];
                Assert.Equal(NumberFormat.Significant(trial.GetProperty("metrics").GetProperty("test").GetProperty(metric).GetDouble()),
                    rows[i].Cells["metric:" + metric]);
            }
        Assert.Equal("45.21", rows[0].Cells["metric:mae"]);
        Assert.Equal("0.4459", rows[0].Cells["metric:r2"]);
        Assert.Matches(@"<th scope=""col"" class=""num"" data-sort=""num"" data-first=""ascending"">Test mae</th><th scope=""col"" class=""num"" data-sort=""num"" data-first=""descending"">Test r2</th>", Sample.Html);
    }

    [Fact]
    public void Failed_trial_shows_its_reason_and_is_not_ranked()
    {
        var rows = Sample.LeaderboardRows(Sample.Html);
        var gam = Assert.Single(rows, r => r.Cells["candidate"] == "gam");

        Assert.Contains("unranked", gam.RowClass);
        Assert.Equal("–", gam.Cells["num rank"]);
        Assert.Equal("failed", gam.Cells["status"]);
        Assert.DoesNotContain(rows, r => r.RowClass.Contains("rank-") && r.Cells["candidate"] == "gam");
        // The reason, HTML-encoded (it holds '>' and '&').
        Assert.Contains("(learning rate 0.5 &gt; 0.05 &amp; no early stopping); lower the learning rate.", Sample.Html);
        // Not in the leaderboard chart either.
        var leaderboard = Sample.Svgs(Sample.Html)[0];
        Assert.DoesNotContain(">gam</text>", leaderboard);
        Assert.Contains(">fasttree</text>", leaderboard);
    }

    [Fact]
    public void Summary_names_the_selected_candidate_and_its_test_score()
    {
        var summary = Regex.Match(Sample.Html, @"<section class=""summary"".*?</section>", RegexOptions.Singleline).Value;

        Assert.Contains("selected <strong class=\"shipped\">fastforest</strong> by validation rmse, test rmse <strong class=\"shipped-test\">54.87</strong>", summary);
        Assert.Contains("6 of 7 trials succeeded", summary);
        Assert.Contains("<h1>quickstart</h1>", Sample.Html);
        Assert.Contains("run 2026-11-29 05:22:40 UTC, took 51.3 s", Sample.Html);
    }

    [Fact]
    public void Dataset_split_and_reproducibility_sections_show_the_file()
    {
        var html = Sample.Html;

        Assert.Contains("731c91514b20f51185739fd2533cde9eccd1c61b16c2aba62d9c8082a9151d4f", html);
        Assert.Contains("<dd>442 × 11</dd>", html);
        Assert.Contains("holdout, seed 42: 266 train, 88 validation, 88 test rows", html);
        Assert.Contains("<code>mlwb run experiments/quickstart.yaml</code>", html);
        Assert.Contains("c467965e19f44c29fbf75eb4d9cdcd064a032b988b556f6928fe5a8e5db7e821", html);
        Assert.Contains("Intel(R) Xeon(R) Processor, 2 logical cores", html);
        Assert.Contains("<tr><td>TorchSharp</td><td><code>0.107.0</code></td></tr>", html);
        Assert.Contains("<dt>Device</dt><dd>cpu</dd>", html);
    }

    [Fact]
    public void Page_is_self_contained()
    {
        var html = Sample.Html;
        var withoutXmlns = html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "");

        Assert.DoesNotContain("http:", withoutXmlns, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https:", withoutXmlns, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("//", withoutXmlns);
        // One inline script (table sorting), nothing with a source.
        Assert.Single(Regex.Matches(html, "<script", RegexOptions.IgnoreCase));
        Assert.Contains("<script>(function", html);
        Assert.Contains("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';", html);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"url\((?!#)", html);
        Assert.All(Regex.Matches(html, @"href=""([^""]*)""").Select(m => m.Groups[1].Value), Sample.AssertNothingFetched);
    }

    [Fact]
    public void Ids_are_unique_across_the_page_and_every_reference_resolves_within_its_chart()
    {
        var html = Sample.Html;
        var ids = Regex.Matches(html, @"\sid=""([^""]+)""").Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var svg in Sample.Svgs(html))
        {
            var own = Regex.Matches(svg, @"\sid=""([^""]+)""").Select(m => m.Groups[1].Value).ToHashSet();
            var references = Regex.Matches(svg, @"url\(#([^)]+)\)").Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(references); // ScottPlot clips the data area
            Assert.All(references, r => Assert.Contains(r, own));
        }
    }

    [Fact]
    public void Higher_is_better_ranks_the_largest_value_first()
    {
        var results = Sample.Read();
        var experiment = results.Experiments[0];
        experiment.PrimaryMetric = "r2";
        experiment.HigherIsBetter = true;
        experiment.Best = "fasttree";
        experiment.Trials.Single(t => t.Candidate == "sdca").Metrics.Validation["r2"] = 0.1;
        experiment.Trials.Single(t => t.Candidate == "fasttree").Metrics.Validation["r2"] = 0.9;
        experiment.Trials.Single(t => t.Candidate == "fasttree").Metrics.Test["r2"] = 0.8;

        var rows = Sample.LeaderboardRows(HtmlReport.Render(results));

        Assert.Equal("fasttree", rows[0].Cells["candidate"].Replace("selected", "").Trim());
        Assert.Equal("sdca", rows[5].Cells["candidate"].Trim());
        Assert.Equal("0.9000", rows[0].Cells["num primary validation"]);
        Assert.Equal("0.8000", rows[0].Cells["num primary test"]);
    }

    [Fact]
    public void Model_size_column_shows_the_bundle_bytes_and_pretrained_files_apart()
    {
        var results = Sample.Read();
        var trials = results.Experiments[0].Trials;
        Assert.DoesNotContain("Model size", HtmlReport.Render(results)); // files without sizes (schema 1.1) show no column
        trials.Single(t => t.Candidate == "sdca").ModelBytes = 12_600;
        var fasttree = trials.Single(t => t.Candidate == "fasttree");
        fasttree.ModelBytes = 87_000_000;
        fasttree.PretrainedBytes = 90_900_000;

        var rows = Sample.LeaderboardRows(HtmlReport.Render(results));

        Assert.Equal("12.30 KB", rows.Single(r => r.Cells["candidate"].StartsWith("sdca")).Cells["num size"]);
        Assert.Equal("82.97 MB + 86.69 MB pretrained", rows.Single(r => r.Cells["candidate"].StartsWith("fasttree")).Cells["num size"]);
        Assert.Equal("–", rows.Single(r => r.Cells["candidate"].StartsWith("gam")).Cells["num size"]);
    }

    [Fact]
    public void Every_string_from_the_file_is_html_encoded()
    {
        var results = Sample.Read();
        results.Suite = "<script>alert(1)</script>";
        var trial = results.Experiments[0].Trials[0];
        trial.Candidate = "<b>bold</b> & co";
        trial.Hyperparameters["<k>"] = JsonDocument.Parse("\"<v>\"").RootElement;
        results.Environment.CommandLine = "mlwb run \"a<b\"";
        results.Experiments[0].Dataset.Features.Add("<img>");

        var html = HtmlReport.Render(results);

        Assert.DoesNotContain("<script>alert", html);
        Assert.DoesNotContain("<b>bold", html);
        Assert.DoesNotContain("<k>", html);
        Assert.DoesNotContain("<img>", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt; &amp; co", html);
        Assert.Contains("mlwb run &quot;a&lt;b&quot;", html);
    }

    [Fact]
    public void Results_without_experiments_or_succeeded_trials_still_render()
    {
        var empty = HtmlReport.Render(new RunResults { Suite = "empty" });
        Assert.Contains("holds no experiments", empty);

        var results = Sample.Read();
        foreach (var trial in results.Experiments[0].Trials)
        {
            trial.Status = TrialStatus.Skipped;
            trial.Reason = "no GPU";
            trial.Curves.Clear();
        }
        var html = HtmlReport.Render(results);
        Assert.Empty(Sample.Svgs(html));
        Assert.Contains("no candidate produced a score", html);
        Assert.DoesNotContain("class=\"trial rank-", html);
    }

    [Fact]
    public void Long_reasons_are_folded_but_kept_whole()
    {
        var results = Sample.Read();
        var reason = "TypeInitializationException: " + string.Join(" ", Enumerable.Repeat("native library not found;", 40)) + " END";
        results.Experiments[0].Trials.Single(t => t.Candidate == "gam").Reason = reason;

        var html = HtmlReport.Render(results);

        Assert.Contains("<details class=\"reason\"><summary>", html);
        Assert.Contains(" END</p></details>", html);
    }
}
