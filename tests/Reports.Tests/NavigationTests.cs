using System.Text.Json;
using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>Finding one's way in a long page, and settings that read at a glance.</summary>
public class NavigationTests
{
    [Fact]
    public void Contents_and_the_sticky_bar_link_every_experiment_and_its_parts_and_every_link_resolves()
    {
        var html = Samples.ClassificationHtml;
        var ids = Regex.Matches(html, @"\sid=""([^""]+)""").Select(m => m.Groups[1].Value).ToHashSet();

        var bar = Regex.Match(html, @"<nav class=""jump"".*?</nav>", RegexOptions.Singleline).Value;
        var toc = Regex.Match(html, @"<nav class=""toc"".*?</nav>", RegexOptions.Singleline).Value;
        Assert.Equal(["#top", "#summary", "#experiment-1-title", "#experiment-2-title", "#reproducibility"],
            Regex.Matches(bar, @"href=""([^""]+)""").Select(m => m.Groups[1].Value));
        foreach (var part in new[] { "leaderboard", "differences", "charts", "data" })
        {
            Assert.Contains($"href=\"#experiment-1-{part}\"", toc);
            Assert.Contains($"href=\"#experiment-2-{part}\"", toc);
        }
        Assert.All(Regex.Matches(html, @"href=""#([^""]+)""").Select(m => m.Groups[1].Value), id => Assert.Contains(id, ids));
        // The bar stays in view; each experiment ends with a way back up.
        Assert.Matches(@"nav\.jump \{ position: sticky; top: 0;", html);
        Assert.Equal(2, Regex.Matches(html, @"<p class=""back""><a href=""#top"">Back to top</a></p>\n</section>").Count);
        Assert.Contains("<header id=\"top\">", html);
        // Charts flow in columns, which leave no holes beside short figures.
        Assert.Contains(".charts { columns: 2 520px;", html);
    }

    [Fact]
    public void Settings_show_four_significant_digits_leave_out_nulls_and_one_fold_trials_get_no_spread()
    {
        var results = Samples.AutoML();
        var e = results.Experiments[0];
        results.Experiments.RemoveAt(1);
        var trial = e.Trials.First(t => t.Status == TrialStatus.Pruned);
        trial.Hyperparameters["learningRate"] = JsonDocument.Parse("0.0012345678").RootElement;
        trial.Hyperparameters["l2"] = JsonDocument.Parse("1e-05").RootElement;
        trial.Hyperparameters["numberOfLeaves"] = JsonDocument.Parse("31").RootElement;
        trial.Hyperparameters["maximumDepth"] = JsonDocument.Parse("null").RootElement;
        trial.Hyperparameters["missing"] = null;
        trial.Folds = [trial.Folds![0]];
        trial.ValidationStd = new Dictionary<string, double> { [e.PrimaryMetric] = 0 };

        var html = HtmlReport.Render(results);

        var row = Regex.Match(html, $@"<tr class=""trial unranked"">(?:(?!</tr>).)*>{Regex.Escape(TrialRanking.Name(trial))}<.*?</tr>\n<tr class=""detail-row trial unranked""><td></td><td[^>]*>(.*?)</td></tr>", RegexOptions.Singleline);
        Assert.True(row.Success);
        var settings = row.Groups[1].Value;
        Assert.Contains("<span class=\"k\">learningRate</span>=<span class=\"v\" title=\"0.0012345678\">0.001235</span>", settings);
        Assert.Contains("<span class=\"k\">l2</span>=<span class=\"v\" title=\"1e-05\">1e-5</span>", settings);
        Assert.Contains("<span class=\"k\">numberOfLeaves</span>=<span class=\"v\">31</span>", settings);
        Assert.DoesNotContain("maximumDepth", settings);
        Assert.DoesNotContain("missing", settings);
        Assert.DoesNotContain("null", settings);
        // One fold has no spread to show: the mean stands alone, without "± 0".
        Assert.DoesNotMatch(@"± 0<", row.Value);
    }
}
