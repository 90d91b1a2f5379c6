using System.Globalization;
using System.Text;
using MLWorkbench.Results;
using static MLWorkbench.Reports.Html;

namespace MLWorkbench.Reports;

/// <summary>
/// "Use this model": the experiment's .mlwb file, a C# snippet that loads it and predicts one row with the
/// data's real column names, the input columns, the data's hash and the command that made it; and the
/// leaderboard as a CSV download (a data: link, nothing fetched).
/// </summary>
internal static class ModelCardSection
{
    public static void Append(StringBuilder html, ExperimentAnalysis a, RunResults run)
    {
        var e = a.Experiment;
        var d = e.Dataset ?? new DatasetInfo();
        html.Append($"<h3 id=\"{a.Anchor}-model\">Use this model</h3>\n");
        var file = ModelFile(e);
        html.Append("<dl class=\"facts model-card\">\n");
        if (a.Shipped is null)
            html.Append("<dt>Model</dt><dd><span class=\"na\">none: no model was selected</span></dd>\n");
        else
            html.Append($"<dt>Model file</dt><dd><a class=\"model-file\" href=\"{E(Uri.EscapeDataString(file))}\" download><code>{E(file)}</code></a> " +
                        $"<span class=\"muted\">({E(a.ShippedName)}; {(e.AutoML?.ModelPath is { Length: > 0 } ? "where the search saved it, linked beside this page" : "written beside this page by mlwb run")})</span></dd>\n");
        html.Append($"<dt>Input</dt><dd>{Schema(a, d)}</dd>\n");
        html.Append($"<dt>Output</dt><dd>{Output(a, d)}</dd>\n");
        html.Append($"<dt>Data SHA-256</dt><dd><code class=\"hash\">{E(d.Sha256)}</code> <span class=\"muted\">(<code>{E(d.Path)}</code>, {N(d.Rows)} rows; the .mlwb manifest records it too)</span></dd>\n");
        html.Append($"<dt>Reproduce</dt><dd><code class=\"command\">{E(run.Environment?.CommandLine)}</code> <span class=\"muted\">(seed {run.Environment?.Seed ?? 0}{(e.Split is { } s ? $", split seed {s.Seed}" : "")}; the same data and seed give the same split and leaderboard)</span></dd>\n");
        html.Append($"<dt>Leaderboard</dt><dd><a class=\"csv\" download=\"{E(SafeFileName(e.Name))}-leaderboard.csv\" href=\"{E(LeaderboardCsv.DataUri(a))}\">{E(SafeFileName(e.Name))}-leaderboard.csv</a> <span class=\"muted\">(every trial and the baseline, in this page's order)</span></dd>\n");
        html.Append("</dl>\n");
        if (a.Shipped is not null)
            html.Append($"<p class=\"note\">Load it and predict one row (reference <code>src/Workbench</code>; put the row's values, as text, in place of the zeros; click the code to select it all):</p>\n<pre class=\"snippet\"><code>{E(Snippet(a, d, file))}</code></pre>\n");
    }

    /// <summary>
    /// The model's file name: where the search recorded saving it, else the name mlwb run gives an experiment's
    /// model beside its report (<c>&lt;experiment&gt;.mlwb</c>, characters not allowed in file names and spaces as '-').
    /// </summary>
    public static string ModelFile(ExperimentResult e) =>
        e.AutoML?.ModelPath is { Length: > 0 } path ? Path.GetFileName(path.Replace('\\', '/')) : SafeFileName(e.Name) + ".mlwb";

    // The same rule as the suite reader's, so the link names the file the run wrote.
    public static string SafeFileName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        return new string([.. name.Select(c => invalid.Contains(c) || char.IsWhiteSpace(c) ? '-' : c)]);
    }

    private static string Schema(ExperimentAnalysis a, DatasetInfo d)
    {
        var features = d.Features ?? [];
        var text = new StringBuilder();
        text.Append(features.Count == 0 ? "<span class=\"na\">no feature columns recorded</span>"
            : $"{Count(features.Count, "column")} by name: {string.Join(", ", features.Select(f => $"<code>{E(f)}</code>"))}");
        if (d.Dropped is { Count: > 0 } dropped)
            text.Append($"; ignored if present: {string.Join(", ", dropped.Keys.Select(k => $"<code>{E(k)}</code>"))}");
        text.Append(". Values are strings, parsed as in training; a missing value is allowed where training saw one, an unknown category encodes as zeros.");
        return text.ToString();
    }

    private static string Output(ExperimentAnalysis a, DatasetInfo d)
    {
        var label = string.IsNullOrEmpty(d.Label) ? "" : $" of <code>{E(d.Label)}</code>";
        if (a.IsClassification)
        {
            var classes = a.Experiment.ClassNames is { Count: > 0 } names ? $": {string.Join(", ", names.Select(n => $"<code>{E(n)}</code>"))}" : "";
            return $"the predicted class{label} with every class's probability{classes}";
        }
        return a.Experiment.Task == "sentence-similarity" ? "a similarity score for the pair" : $"the predicted value{label}";
    }

    private static string Snippet(ExperimentAnalysis a, DatasetInfo d, string file)
    {
        var code = new StringBuilder();
        code.Append("using MLWorkbench.Serving;\n\n");
        code.Append($"using var model = WorkbenchModel.Load({Literal(file)});\n");
        switch (a.Experiment.Task)
        {
            case "image-classification":
                code.Append("var p = model.PredictImage(\"photo.png\");\n");
                break;
            case "text-classification":
                code.Append("var p = model.PredictText(\"the text to classify\");\n");
                break;
            case "sentence-similarity":
                code.Append("float score = model.ScorePair(\"A man is playing a guitar.\", \"Someone plays music.\");\n");
                return code.ToString();
            default:
                code.Append("var p = model.Predict(new Dictionary<string, string?>\n{\n");
                foreach (var feature in d.Features ?? [])
                    code.Append($"    [{Literal(feature)}] = \"0\",\n");
                code.Append("});\n");
                break;
        }
        code.Append(a.IsClassification
            ? "Console.WriteLine($\"{p.PredictedLabel} {p.Probability:P1}\");\n"
            : "Console.WriteLine(p.Value);\n");
        return code.ToString();
    }

    // A C# string literal: quotes, backslashes and control characters escaped, so any column name compiles.
    private static string Literal(string text)
    {
        var s = new StringBuilder("\"");
        foreach (var c in text)
            s.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return s.Append('"').ToString();
    }

    private static string Count(int n, string noun) => $"{n.ToString(CultureInfo.InvariantCulture)} {noun}{(n == 1 ? "" : "s")}";
}
