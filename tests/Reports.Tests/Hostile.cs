using System.Text.Json;
using System.Text.Json.Nodes;
using MLWorkbench.Results;

namespace MLWorkbench.Reports.Tests;

/// <summary>
/// Results files whose every string (and the keys of every free-form map) carries markup that would run if the
/// page ever wrote it unencoded: a script element, and attribute breakouts with double and single quotes.
/// </summary>
internal static class Hostile
{
    /// <summary>The payloads; each sets <c>window.__pwned</c> if it ever runs.</summary>
    public static readonly string[] Payloads =
    [
        "<script>window.__pwned=1</script>",
        "\" onmouseover=\"window.__pwned=1\" x=\"",
        "' onerror='window.__pwned=1' x='",
    ];

    // Fields whose value the report interprets (a task, a status, which metric): kept in the first file so that
    // the page still has every section; the second file spoils them too.
    private static readonly HashSet<string> Interpreted = ["task", "status", "primaryMetric", "per", "image"];

    // Parsed, never shown as written: a spoiled one is a bad file, refused with exit code 2 (tested elsewhere).
    private static readonly HashSet<string> Parsed = ["schemaVersion", "startedUtc", "finishedUtc"];

    // Maps whose keys are data (names of settings, packages, columns, metrics).
    private static readonly HashSet<string> FreeKeys = ["hyperparameters", "packages", "dropped", "candidateDefaults"];
    private static readonly HashSet<string> MetricKeys = ["validation", "test", "validationStd"];

    /// <summary>
    /// Writes <paramref name="results"/> with every reachable string given a payload (chosen by the string's length,
    /// so equal names stay equal) and reads it back through <see cref="ResultsFile.Read"/>, as a user's file would be.
    /// </summary>
    /// <param name="results">The results to spoil.</param>
    /// <param name="folder">Where to write the file.</param>
    /// <param name="everything">Also spoil the fields the report interprets and the metric names.</param>
    public static RunResults Spoil(RunResults results, string folder, bool everything)
    {
        var node = JsonNode.Parse(JsonSerializer.Serialize(results, ResultsFile.JsonOptions))!;
        node = Walk(node, null, everything)!;
        var path = Path.Combine(folder, everything ? "hostile-all.json" : "hostile.json");
        File.WriteAllText(path, node.ToJsonString());
        return ResultsFile.Read(path);
    }

    /// <summary>The string with its payload.</summary>
    public static string Spoiled(string text) => text + Payloads[text.Length % Payloads.Length];

    private static JsonNode? Walk(JsonNode? node, string? property, bool everything)
    {
        switch (node)
        {
            case JsonObject o:
                var result = new JsonObject();
                var keys = property is not null && (FreeKeys.Contains(property) || (everything && (MetricKeys.Contains(property) || property == "folds")));
                foreach (var (key, value) in o.ToList())
                {
                    o.Remove(key);
                    // Defaults are keyed by candidate, each a map like a trial's hyperparameters: spoiled the same way, so they still match.
                    result[keys ? Spoiled(key) : key] = Walk(value, property == "candidateDefaults" ? "hyperparameters" : key, everything);
                }
                return result;
            case JsonArray a:
                var array = new JsonArray();
                foreach (var item in a.ToList())
                {
                    a.Remove(item);
                    // Items of a list are named by the list (a fold's metric map is keyed like "validation").
                    array.Add(Walk(item, property == "folds" ? "folds" : property, everything));
                }
                return array;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var text = v.GetValue<string>();
                // Non-finite numbers are written as strings; they stay numbers.
                if (text is "NaN" or "Infinity" or "-Infinity" || (property is not null && Parsed.Contains(property))) return JsonValue.Create(text);
                return property is not null && Interpreted.Contains(property) && !everything ? JsonValue.Create(text) : JsonValue.Create(Spoiled(text));
            default:
                return node?.DeepClone();
        }
    }
}
