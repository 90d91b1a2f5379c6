using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>The recorded results file and the page rendered from it, shared by the tests.</summary>
internal static partial class Sample
{
    public static string ResultsPath { get; } = Path.Combine(AppContext.BaseDirectory, "Data", "sample-results.json");

    private static readonly Lazy<string> LazyHtml = new(() => HtmlReport.Render(ResultsFile.Read(ResultsPath)));

    public static string Html => LazyHtml.Value;

    public static RunResults Read() => ResultsFile.Read(ResultsPath);

    /// <summary>The sample file parsed without the contract types, to check the page against.</summary>
    public static JsonElement Json() => JsonDocument.Parse(File.ReadAllText(ResultsPath)).RootElement;

    /// <summary>Every inline SVG of the page.</summary>
    public static List<string> Svgs(string html) => [.. SvgElement().Matches(html).Select(m => m.Value)];

    /// <summary>
    /// The leaderboard's trial rows: class attribute and cells by class (other test metrics by
    /// <c>metric:name</c>), tags stripped, text decoded.
    /// </summary>
    public static List<(string RowClass, Dictionary<string, string> Cells)> LeaderboardRows(string html) =>
        [.. TrialRow().Matches(html).Select(m => (m.Groups[1].Value,
            Cell().Matches(m.Groups[2].Value).ToDictionary(
                c => c.Groups[2].Success ? "metric:" + c.Groups[2].Value : c.Groups[1].Value,
                c => PlainText(c.Groups[3].Value))))];

    /// <summary>
    /// A link the page may hold: an anchor in the page, a file beside the page (results.json, the model; a relative
    /// name without scheme or folder), or the leaderboard CSV as a data: URI. None is loaded when the page opens.
    /// </summary>
    public static void AssertNothingFetched(string href) =>
        Assert.True(href.StartsWith('#') || Regex.IsMatch(href, "^[^:/?#]+$") || href.StartsWith("data:text/csv;charset=utf-8,", StringComparison.Ordinal),
            $"the page links '{href}'");

    public static string PlainText(string html) => WebUtility.HtmlDecode(Tag().Replace(html, "")).Trim();

    [GeneratedRegex(@"<svg\b.*?</svg>", RegexOptions.Singleline)]
    private static partial Regex SvgElement();

    [GeneratedRegex(@"<tr class=""(trial [^""]*)"">(.*?)</tr>", RegexOptions.Singleline)]
    private static partial Regex TrialRow();

    [GeneratedRegex(@"<td class=""([^""]*)""(?: data-metric=""([^""]*)"")?(?: data-v=""[^""]*"")?>(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex Cell();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tag();
}

/// <summary>The recorded classification and AutoML results and their pages, shared by the tests.</summary>
internal static class Samples
{
    public static string ClassificationPath { get; } = Path.Combine(AppContext.BaseDirectory, "Data", "classification-results.json");

    public static string AutoMLPath { get; } = Path.Combine(AppContext.BaseDirectory, "Data", "automl-results.json");

    private static readonly Lazy<string> LazyClassificationHtml = new(() => HtmlReport.Render(Classification()));

    private static readonly Lazy<string> LazyAutoMLHtml = new(() => HtmlReport.Render(AutoML()));

    public static string ClassificationHtml => LazyClassificationHtml.Value;

    public static string AutoMLHtml => LazyAutoMLHtml.Value;

    public static RunResults Classification() => ResultsFile.Read(ClassificationPath);

    public static RunResults AutoML() => ResultsFile.Read(AutoMLPath);

    public static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    /// <summary>A recorded run of <c>experiments/quickstart.yaml</c> (schema 1.4; dataset and model paths made relative to the repository).</summary>
    public static RunResults QuickstartRun() => ResultsFile.Read(Path.Combine(AppContext.BaseDirectory, "Data", "quickstart-results.json"));

    /// <summary>
    /// A page like the quickstart suite's, from the recorded files: diabetes regression (the recorded quickstart run),
    /// breast cancer and wine classification, intents text, STS pairs and digits images, and one AutoML search.
    /// </summary>
    public static RunResults Quickstart()
    {
        var run = Sample.Read();
        run.Experiments.AddRange(Classification().Experiments);
        run.Experiments.AddRange(ResultsFile.Read(TaskViewsTests.TaskViewsPath).Experiments);
        run.Experiments.Add(AutoML().Experiments[0]);
        return run;
    }
}

