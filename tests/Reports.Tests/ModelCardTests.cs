using System.Net;
using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>"Use this model": the model file, a snippet with the real column names, the schema, the data hash, the command, the CSV.</summary>
public class ModelCardTests
{
    private static string Card(string html, int experiment) =>
        Regex.Match(html, $@"<h3 id=""experiment-{experiment}-model"">.*?(?=<h3 id=""experiment-{experiment}-data"">)", RegexOptions.Singleline).Value;

    [Fact]
    public void Card_links_the_model_file_and_shows_a_snippet_with_the_real_columns_the_hash_and_the_command()
    {
        var results = Samples.Classification();
        var card = Card(Samples.ClassificationHtml, 1);
        var e = results.Experiments[0];

        Assert.Contains("<a class=\"model-file\" href=\"breast-cancer-diagnosis.mlwb\" download><code>breast-cancer-diagnosis.mlwb</code></a>", card);
        var snippet = WebUtility.HtmlDecode(Regex.Match(card, @"<pre class=""snippet""><code>(.*?)</code></pre>", RegexOptions.Singleline).Groups[1].Value);
        Assert.StartsWith("using MLWorkbench.Serving;\n\nusing var model = WorkbenchModel.Load(\"breast-cancer-diagnosis.mlwb\");\nvar p = model.Predict(new Dictionary<string, string?>\n{\n", snippet);
        foreach (var feature in e.Dataset.Features)
            Assert.Contains($"    [\"{feature}\"] = \"0\",\n", snippet);
        Assert.EndsWith("});\nConsole.WriteLine($\"{p.PredictedLabel} {p.Probability:P1}\");\n", snippet);
        Assert.Contains($"<code class=\"hash\">{e.Dataset.Sha256}</code>", card);
        Assert.Contains($"<code class=\"command\">{WebUtility.HtmlEncode(results.Environment.CommandLine)}</code>", card);
        Assert.Contains("<code>benign</code>, <code>malignant</code>", card); // the classes it answers with

        // A search links the file it recorded; a regression snippet prints the value.
        var ames = Card(Samples.AutoMLHtml, 1);
        Assert.Contains("href=\"ames-tpe.model.zip\"", ames);
        Assert.Contains("Console.WriteLine(p.Value);", ames);
    }

    [Fact]
    public void Column_names_that_are_not_plain_identifiers_still_make_a_snippet_that_compiles_as_written()
    {
        var results = Samples.Classification();
        results.Experiments.RemoveAt(1);
        results.Experiments[0].Dataset.Features = ["a \"quoted\" name", "back\\slash", "tab\there"];

        var snippet = WebUtility.HtmlDecode(Regex.Match(HtmlReport.Render(results), @"<pre class=""snippet""><code>(.*?)</code></pre>", RegexOptions.Singleline).Groups[1].Value);

        Assert.Contains("    [\"a \\\"quoted\\\" name\"] = \"0\",\n", snippet);
        Assert.Contains("    [\"back\\\\slash\"] = \"0\",\n", snippet);
        Assert.Contains("    [\"tab\\there\"] = \"0\",\n", snippet);
    }

    [Fact]
    public void Leaderboard_csv_is_a_data_link_with_every_trial_in_page_order_and_the_baseline()
    {
        var card = Card(Samples.ClassificationHtml, 2);
        var link = Regex.Match(card, @"<a class=""csv"" download=""wine-cultivar-leaderboard.csv"" href=""data:text/csv;charset=utf-8,([^""]+)"">");
        Assert.True(link.Success);
        var csv = Uri.UnescapeDataString(WebUtility.HtmlDecode(link.Groups[1].Value));
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.StartsWith("rank,candidate,family,status,selected,validation_accuracy,validation_accuracy_sd,test_accuracy,test_accuracy_ci_low,test_accuracy_ci_high,", lines[0]);
        Assert.Equal(["lightgbm", "sdca", "lbfgs", "mlp", "fasttree", "fastforest", "baseline: majority class (class_1)"], lines.Skip(1).Select(l => l.Split(',')[1]));
        Assert.StartsWith("1,lightgbm,mlnet,succeeded,true,1,,0.9722222222222222,", lines[1]);
        Assert.StartsWith(",baseline: majority class (class_1),,reference,false,,,0.3888888888888889,", lines[^1]);
    }

    [Fact]
    public void A_text_cell_that_starts_like_a_formula_is_defused_in_the_csv()
    {
        var results = Samples.Classification();
        results.Experiments.RemoveAt(1);
        results.Experiments[0].Trials[1].Candidate = "=HYPERLINK(\"x\")";

        var html = HtmlReport.Render(results);
        var csv = Uri.UnescapeDataString(WebUtility.HtmlDecode(Regex.Match(html, @"href=""data:text/csv;charset=utf-8,([^""]+)""").Groups[1].Value));

        Assert.Contains("\"'=HYPERLINK(\"\"x\"\")\"", csv);
    }
}
