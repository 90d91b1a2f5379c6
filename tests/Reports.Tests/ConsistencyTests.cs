using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>
/// Every recorded results file: the selected model is ranked first, and the same model and test score appear
/// in the summary, the experiment's leaderboard (or the final model's table) and the runs index.
/// </summary>
public class ConsistencyTests
{
    /// <summary>The recorded files; quickstart-results.json is a real run of experiments/quickstart.yaml (schema 1.4, paths made relative).</summary>
    public static TheoryData<string> Files => new() { "sample-results.json", "classification-results.json", "automl-results.json", "task-views-results.json", "quickstart-results.json" };

    [Theory]
    [MemberData(nameof(Files))]
    public void Selected_model_is_ranked_first_and_named_with_the_same_test_score_everywhere(string file)
    {
        var results = ResultsFile.Read(Path.Combine(AppContext.BaseDirectory, "Data", file));
        var html = HtmlReport.Render(results);
        var index = HtmlReport.RenderIndex([("run/index.html", results)]);
        var summary = Regex.Match(html, @"<section class=""summary"".*?</section>", RegexOptions.Singleline).Value;

        for (var i = 0; i < results.Experiments.Count; i++)
        {
            var e = results.Experiments[i];
            var section = Regex.Match(html, $@"<section class=""experiment"" id=""experiment-{i + 1}"".*?</section>", RegexOptions.Singleline).Value;
            var rows = Sample.LeaderboardRows(section);
            var selected = Assert.Single(rows, r => r.RowClass.Contains(" selected"));
            Assert.Equal(rows[0], selected);
            Assert.StartsWith("trial rank-1", selected.RowClass);

            var item = Regex.Match(summary, $@"<li><a href=""#experiment-{i + 1}"">.*?</li>", RegexOptions.Singleline).Value;
            var name = Sample.PlainText(Regex.Match(item, @"<strong class=""shipped"">(.*?)</strong>").Groups[1].Value);
            var score = Regex.Match(item, @"<strong class=""shipped-test"">(.*?)</strong>").Groups[1].Value;
            var indexRow = Regex.Match(index, $@"<tr class=""run"">(?:(?!</tr>).)*>{Regex.Escape(e.Name)}</a></td>.*?</tr>").Value;
            Assert.Equal(name, Sample.PlainText(Regex.Match(indexRow, @"<td class=""shipped"">(.*?)</td>").Groups[1].Value));
            Assert.Equal(score, Regex.Match(indexRow, @"<td class=""num shipped-test"">(.*?)</td>").Groups[1].Value);
            if (e.AutoML?.Final is { } final)
            {
                Assert.Equal($"{final.Candidate} (final)", name);
                Assert.Contains($"<td class=\"num\" data-metric=\"{e.PrimaryMetric}\">{score}</td>", section);
            }
            else
            {
                Assert.Equal(name, selected.Cells["candidate"].Replace("selected", "").Trim());
                Assert.Equal(score, selected.Cells["num primary test"]);
            }
        }
    }
}
