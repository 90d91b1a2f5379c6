using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MLWorkbench.Reports;

/// <summary>
/// The page frame both pages share (style sheet, sorting script, content security policy) and the small
/// text helpers every section uses. Every string from the results goes through <see cref="E"/>.
/// </summary>
internal static class Html
{
    private static readonly Lazy<string> Css = new(() => Resource("report.css"));

    // Sorts a table.sortable by the clicked column heading: numbers by data-v, text by content; rows without
    // a value stay last and detail rows (settings, reasons) move with their trial. Without it the table keeps the order it was
    // written in (best first), so the page reads the same with scripts off. The file has no comments, so
    // the page holds no "//" at all (a test looks for protocol-relative URLs that way).
    private static readonly Lazy<string> Script = new(() => Resource("sortable.js").Trim());

    /// <summary>
    /// A complete HTML document. The content security policy lets the page load nothing at all and run
    /// only its own script (by hash), so a browser enforces "no network" even if a string slipped through;
    /// images may only be data: URIs inside the page (the test-image thumbnails).
    /// </summary>
    public static string Page(string title, string body)
    {
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Script.Value)));
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{hash}'">
            <meta name="generator" content="mlwb-report">
            <title>{E(title)}</title>
            <style>
            {Css.Value}</style>
            </head>
            <body>
            <main>
            {body}</main>
            <script>{Script.Value}</script>
            </body>
            </html>

            """;
    }

    /// <summary>HTML-encodes text (null as empty).</summary>
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>"1 trial", "3 trials".</summary>
    public static string Count(int n, string noun) => $"{N(n)} {noun}{(n == 1 ? "" : "s")}";

    /// <summary>An integer with thousands separators.</summary>
    public static string N(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A metric as the report writes it, or an en dash for none.</summary>
    public static string MetricText(double? value) => value is { } v ? NumberFormat.Significant(v) : "–";

    /// <summary>The same, in a cell: a muted dash for none.</summary>
    public static string MetricHtml(double? value) => value is { } v ? NumberFormat.Significant(v) : Missing;

    /// <summary>A muted dash for a value that is not there.</summary>
    public const string Missing = "<span class=\"na\">–</span>";

    /// <summary>A number for the sorting script: round-trip text, empty for none.</summary>
    public static string SortValue(double? value) =>
        value is { } v && double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    /// <summary>"p = 0.41", "p = 0.052", "p &lt; 0.001".</summary>
    public static string P(double p) => PValue(p) is var text && text.StartsWith('<') ? $"p {text}" : $"p = {text}";

    /// <summary>A p-value to two significant digits: "0.41", "0.052", "&lt; 0.001", "1".</summary>
    public static string PValue(double p)
    {
        if (double.IsNaN(p)) return "unknown";
        if (p < 0.001) return "< 0.001";
        if (p >= 0.995) return "1";
        var digits = Math.Max(2, 1 - (int)Math.Floor(Math.Log10(p)));
        // Never round a significant p up to the threshold (0.0496 is "0.0496", not "0.05").
        if (p < 0.05 && Math.Round(p, digits) >= 0.05) digits++;
        return Math.Round(p, digits).ToString("0.######", CultureInfo.InvariantCulture);
    }

    /// <summary>A signed difference: "+0.0088", "−2.1".</summary>
    public static string Signed(double value) =>
        value > 0 ? "+" + NumberFormat.Significant(value) : value < 0 ? "−" + NumberFormat.Significant(-value) : "0";

    /// <summary>"[49.10, 54.62]".</summary>
    public static string Range(double low, double high) => $"[{Minus(low)}, {Minus(high)}]";

    // Differences are signed with a real minus sign; interval ends next to them match.
    private static string Minus(double value) => value < 0 ? "−" + NumberFormat.Significant(-value) : NumberFormat.Significant(value);

    /// <summary>Settings as a compact list of key=value pairs.</summary>
    /// <remarks>
    /// Settings left unset (null) are left out; numbers with a fraction show four significant digits, with the
    /// value as trained in the item's tooltip (a learning rate of 0.0012345678 reads 0.001235). With the candidate's
    /// <paramref name="defaults"/>, a setting that differs from its default (or has none) is marked <c>changed</c> and
    /// highlighted, its default in the tooltip; the others are marked <c>default</c>.
    /// </remarks>
    public static string HyperparametersHtml(Dictionary<string, object?>? hyperparameters, Dictionary<string, object?>? defaults = null)
    {
        var set = (hyperparameters ?? []).Where(p => !IsNull(p.Value)).ToList();
        if (set.Count == 0) return Missing;
        var items = set.Select(p =>
        {
            var exact = ValueText(p.Value);
            var shown = ShortValue(p.Value, exact);
            var title = shown == exact ? "" : exact;
            var mark = "";
            if (defaults is not null)
            {
                var known = defaults.TryGetValue(p.Key, out var byDefault) && !IsNull(byDefault);
                var same = known && SameValue(p.Value, byDefault);
                mark = same ? " class=\"default\"" : " class=\"changed\"";
                // Trainers record a setting they leave to their library as the word "default".
                var was = !known ? "no default: set for this run" : ValueText(byDefault) == "default" ? "default: the library's own" : $"default: {ValueText(byDefault)}";
                if (!same) title = (title.Length > 0 ? title + "; " : "") + was;
            }
            return $"<li{mark}><span class=\"k\">{E(p.Key)}</span>=<span class=\"v\"{(title.Length > 0 ? $" title=\"{E(title)}\"" : "")}>{E(shown)}</span></li>";
        });
        return $"<ul class=\"hp\">{string.Concat(items)}</ul>";
    }

    // Numbers compare by value (1 and 1.0, a float and the double read back from the file); anything else by its text.
    private static bool SameValue(object? a, object? b)
    {
        if (Number(a) is { } x && Number(b) is { } y) return x == y || (float)x == (float)y;
        return ValueText(a) == ValueText(b);
    }

    private static double? Number(object? value) => value switch
    {
        JsonElement { ValueKind: JsonValueKind.Number } j when j.TryGetDouble(out var d) => d,
        double d => d,
        float f => f,
        decimal m => (double)m,
        int i => i,
        long l => l,
        _ => null,
    };

    private static bool IsNull(object? value) => value is null or JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined };

    // Integers as they are; other numbers to four significant digits, trailing zeros dropped (0.05, 1e-05, 0.1235).
    private static string ShortValue(object? value, string exact)
    {
        if (Number(value) is not { } v || !double.IsFinite(v) || (v == Math.Round(v) && Math.Abs(v) < 1e15 && !exact.Contains('e', StringComparison.OrdinalIgnoreCase))) return exact;
        return v.ToString("G4", CultureInfo.InvariantCulture).Replace("E-0", "e-").Replace("E+0", "e+").Replace("E-", "e-").Replace("E+", "e+");
    }

    /// <summary>Settings as one comparable line of text.</summary>
    public static string HyperparameterText(Dictionary<string, object?>? hyperparameters) =>
        hyperparameters is null ? "" : string.Join(";", hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={ValueText(p.Value)}"));

    // Values keep the text they had in the file (0.001 stays 0.001): they are settings, not measurements.
    private static string ValueText(object? value) => value switch
    {
        null => "null",
        JsonElement { ValueKind: JsonValueKind.String } s => s.GetString() ?? "",
        JsonElement { ValueKind: JsonValueKind.Array or JsonValueKind.Object } j => JsonSerializer.Serialize(j),
        JsonElement j => j.GetRawText(),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Resource(string name)
    {
        using var stream = typeof(Html).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded resource {name} is missing from the program.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
