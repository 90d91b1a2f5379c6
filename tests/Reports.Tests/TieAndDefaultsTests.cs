using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>
/// Results of schema 1.4: ties on the validation score broken by the stated rule (faster, then smaller model), the same
/// order in the leaderboard, the decision block, the summary and the runs index; settings that differ from the
/// candidate's defaults highlighted.
/// </summary>
public class TieAndDefaultsTests
{
    // The recorded classification run as a 1.4 file: wine's lightgbm, sdca and lbfgs tie at validation accuracy 1.000
    // (trained in 0.287, 0.198 and 0.121 s), so the runner keeps lbfgs; breast cancer's lightgbm and mlp tie at 0.9561.
    private static RunResults Current()
    {
        var results = Samples.Classification();
        results.SchemaVersion = ResultsFile.CurrentSchemaVersion;
        results.Experiments[1].Best = "lbfgs";
        foreach (var e in results.Experiments)
            e.CandidateDefaults = new()
            {
                ["lightgbm"] = new() { ["numberOfLeaves"] = 31, ["numberOfIterations"] = 100, ["learningRate"] = 0.1 },
                ["lbfgs"] = new() { ["l2Regularization"] = 0.1, ["optimizationTolerance"] = 1e-7 },
            };
        return results;
    }

    private static string Section(string html, int number) =>
        Regex.Match(html, $@"<section class=""experiment"" id=""experiment-{number}"".*?</section>", RegexOptions.Singleline).Value;

    private static string Name((string, Dictionary<string, string> Cells) row) => row.Cells["candidate"].Replace("selected", "").Trim();

    [Fact]
    public void Ties_go_to_the_faster_model_everywhere_and_the_rule_is_stated()
    {
        var results = Current();
        var html = HtmlReport.Render(results);
        var wine = Section(html, 2);
        var rows = Sample.LeaderboardRows(wine);

        // mlp and fasttree tie at 0.9444 too: fasttree trained in 0.377 s, mlp in 3.91 s.
        Assert.Equal(["lbfgs", "sdca", "lightgbm", "fasttree", "mlp", "fastforest"], rows.Select(Name));
        Assert.Contains(" selected", rows[0].RowClass);
        Assert.Equal(["1", "2=", "3="], rows.Take(3).Select(r => r.Cells["num rank"]));
        Assert.Contains(SelectionRule.TieText, Sample.PlainText(Regex.Match(wine, "<caption>(.*?)</caption>", RegexOptions.Singleline).Groups[1].Value));
        var rule = Sample.PlainText(Regex.Match(wine, @"<dd data-field=""rule"">(.*?)</dd>", RegexOptions.Singleline).Groups[1].Value);
        Assert.Contains("Tied with sdca (1.000, trained in 198 ms), lightgbm (1.000, trained in 287 ms) (the selected lbfgs: 1.000, trained in 121 ms): " +
                        "validation scores equal at 4 significant digits", rule);
        Assert.Equal("lbfgs", Sample.PlainText(Regex.Match(wine, @"<strong class=""decision-model"">(.*?)</strong>").Groups[1].Value));

        // Breast cancer: lightgbm (0.412 s) before mlp (6.83 s), as in run order; the summary and the runs index name the same model.
        var cancer = Sample.LeaderboardRows(Section(html, 1));
        Assert.Equal(["lightgbm", "mlp"], cancer.Take(2).Select(Name));
        var summary = Regex.Match(html, @"<section class=""summary"".*?</section>", RegexOptions.Singleline).Value;
        var index = HtmlReport.RenderIndex([("run/index.html", results)]);
        Assert.Contains(@"<a href=""#experiment-2"">", summary);
        Assert.Equal("lbfgs", Sample.PlainText(Regex.Match(Regex.Match(summary, @"<li><a href=""#experiment-2"">.*?</li>", RegexOptions.Singleline).Value,
            @"<strong class=""shipped"">(.*?)</strong>").Groups[1].Value));
        Assert.Matches(@"<td class=""shipped""><a href=""run/index.html#experiment-2-decision"">lbfgs</a></td><td class=""num shipped-test"">0\.9722</td>", index);
        Assert.Contains(@",lbfgs,mlnet,succeeded,true,", LeaderboardCsv.Text(new ExperimentAnalysis(results.Experiments[1], 2)));
    }

    [Fact]
    public void A_file_before_schema_1_4_keeps_run_order_among_ties_and_says_so()
    {
        var html = Samples.ClassificationHtml; // schema 1.1
        var rows = Sample.LeaderboardRows(Section(html, 2));
        Assert.Equal(["lightgbm", "sdca", "lbfgs"], rows.Take(3).Select(Name));
        Assert.Contains("equal scores go to the candidate that ran first, as the runner kept it (results before schema 1.4 record no other tie rule)", Section(html, 2));
        Assert.DoesNotContain(SelectionRule.TieText, html);
    }

    [Fact]
    public void Settings_that_differ_from_the_defaults_are_highlighted_with_the_default_in_the_tooltip()
    {
        var wine = Section(HtmlReport.Render(Current()), 2);
        var settings = Regex.Matches(wine, @"<td colspan=""\d+"" class=""hyperparameters"">(.*?)</td>", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();

        // lbfgs (first): l2Regularization 1 against a default of 0.1; the tolerance is at its default.
        Assert.StartsWith("<ul class=\"hp\"><li class=\"changed\"><span class=\"k\">l2Regularization</span>=<span class=\"v\" title=\"default: 0.1\">1</span></li>" +
                          "<li class=\"default\"><span class=\"k\">optimizationTolerance</span>=", settings[0]);
        Assert.Equal(1, Regex.Count(settings[0], "<li class=\"changed\">"));
        // lightgbm (third): every setting at its default, numbers compared by value.
        Assert.DoesNotContain("changed", settings[2]);
        Assert.Equal(3, Regex.Count(settings[2], "<li class=\"default\">"));
        // sdca has no recorded defaults: nothing is marked either way.
        Assert.DoesNotContain("<li class=", settings[1]);
        Assert.Contains("settings that differ from the candidate's defaults are highlighted (the default in the tooltip), where the results record the defaults.", wine);
    }

    [Fact]
    public void A_default_left_to_the_library_and_a_setting_without_default_say_so()
    {
        var html = System.Net.WebUtility.HtmlDecode(Html.HyperparametersHtml(
            new() { ["numberOfLeaves"] = 79, ["l1Regularization"] = 0.5, ["normalization"] = "min-max", ["unset"] = null },
            new() { ["numberOfLeaves"] = "default", ["normalization"] = "min-max" }));
        Assert.Contains("<li class=\"changed\"><span class=\"k\">numberOfLeaves</span>=<span class=\"v\" title=\"default: the library's own\">79</span></li>", html);
        Assert.Contains("<li class=\"changed\"><span class=\"k\">l1Regularization</span>=<span class=\"v\" title=\"no default: set for this run\">0.5</span></li>", html);
        Assert.Contains("<li class=\"default\"><span class=\"k\">normalization</span>", html);
        Assert.DoesNotContain("unset", html);
    }

    [Fact]
    public void A_file_without_defaults_renders_and_says_they_are_unknown()
    {
        var wine = Section(Samples.ClassificationHtml, 2);
        Assert.Contains("the results record no defaults, as files before schema 1.4 do not, so which settings were changed is unknown", wine);
        Assert.DoesNotContain("class=\"changed\"", wine);
        Assert.DoesNotContain("class=\"default\"", wine);
    }

    [Fact]
    public void Defaults_survive_the_results_file()
    {
        var folder = Directory.CreateTempSubdirectory("mlwb-defaults-").FullName;
        try
        {
            var path = Path.Combine(folder, "results.json");
            ResultsFile.Write(Current(), path);
            var read = ResultsFile.Read(path);
            Assert.Equal(ResultsFile.CurrentSchemaVersion, read.SchemaVersion); // 1.4 or later: it records defaults and the tie rule
            var html = Section(HtmlReport.Render(read), 2);
            Assert.Contains("<li class=\"changed\"><span class=\"k\">l2Regularization</span>=<span class=\"v\" title=\"default: 0.1\">1</span></li>", html);
            Assert.Equal("lbfgs", Name(Sample.LeaderboardRows(html)[0]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
