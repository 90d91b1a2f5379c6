using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace MLWorkbench.Reports;

/// <summary>
/// Turns ScottPlot's SVG into one that can be inlined next to others in an HTML page: no XML
/// declaration, a viewBox so it scales, an accessible name and description, ids unique to the
/// chart, and a font list that falls back to fonts with the same metrics.
/// </summary>
internal static partial class ChartSvg
{
    /// <summary>Rewrites <paramref name="svg"/> as described on the class.</summary>
    public static string Finish(string svg, string title, string description)
    {
        svg = XmlDeclaration().Replace(svg, "");
        svg = TrimTextContent(svg);
        svg = CleanPositionLists(svg);
        svg = svg.Replace($"font-family=\"{ChartFont.Family}\"", $"font-family=\"{ChartFont.CssFamilies}\"");

        // ScottPlot numbers its clip paths per process (cl_63...), so ids differ between identical charts
        // and may repeat across renderer runs. Number them by order of appearance, then prefix them with a
        // hash of the chart: the same chart gives the same text, different charts never share an id.
        var ordinals = new Dictionary<string, int>();
        foreach (Match m in IdAttribute().Matches(svg))
            ordinals.TryAdd(m.Groups[2].Value, ordinals.Count + 1);
        svg = RenameIds(svg, ordinals, "\u0001");
        var prefix = "c" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(svg)))[..10] + "-";
        svg = svg.Replace("\u0001", prefix);

        var root = RootElement().Match(svg);
        if (!root.Success)
            throw new InvalidOperationException("ScottPlot's SVG has no <svg width height> root element.");
        var width = root.Groups["w"].Value;
        var height = root.Groups["h"].Value;
        var body = svg[(root.Index + root.Length)..].Trim();
        var label = WebUtility.HtmlEncode(title);
        var xlink = body.Contains("xlink:", StringComparison.Ordinal) ? " xmlns:xlink=\"http://www.w3.org/1999/xlink\"" : "";
        var head =
            $"<svg xmlns=\"http://www.w3.org/2000/svg\"{xlink} width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" " +
            $"role=\"img\" aria-label=\"{label}\"><title>{label}</title><desc>{WebUtility.HtmlEncode(description)}</desc>";
        return head + body + "\n";
    }

    private static string RenameIds(string svg, Dictionary<string, int> ordinals, string prefix)
    {
        string Name(string id) => ordinals.TryGetValue(id, out var n) ? $"{prefix}{n}" : id;
        svg = IdAttribute().Replace(svg, m => $"{m.Groups[1].Value}=\"{Name(m.Groups[2].Value)}\"");
        svg = IdReference().Replace(svg, m => $"url(#{Name(m.Groups[1].Value)})");
        return HrefReference().Replace(svg, m => $"{m.Groups[1].Value}=\"#{Name(m.Groups[2].Value)}\"");
    }

    // Skia writes "\n\t\t\tText\n\t" as a text element's content; with one x per character the
    // surrounding white space must go, or browsers may shift the glyphs.
    private static string TrimTextContent(string svg) =>
        TextContent().Replace(svg, m => m.Groups[1].Value + m.Groups[2].Value.Trim() + "</text>");

    // Skia ends its per-glyph position lists with ", " which the SVG grammar does not allow.
    private static string CleanPositionLists(string svg) =>
        PositionList().Replace(svg, m =>
        {
            var numbers = m.Groups[2].Value.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
            return $" {m.Groups[1].Value}=\"{string.Join(' ', numbers)}\"";
        });

    [GeneratedRegex(@"^\s*<\?xml[^>]*\?>\s*")]
    private static partial Regex XmlDeclaration();

    [GeneratedRegex(@"^<svg\b[^>]*?\swidth=""(?<w>[0-9.]+)""\s+height=""(?<h>[0-9.]+)""[^>]*>")]
    private static partial Regex RootElement();

    [GeneratedRegex(@"(<text\b[^>]*>)([^<]*)</text>")]
    private static partial Regex TextContent();

    [GeneratedRegex(@" (x|y)=""([-0-9.eE]+(?:,\s*[-0-9.eE]*)+)""")]
    private static partial Regex PositionList();

    [GeneratedRegex(@"(?<=\s)(id)=""([^""]+)""")]
    private static partial Regex IdAttribute();

    [GeneratedRegex(@"url\(#([^)]+)\)")]
    private static partial Regex IdReference();

    [GeneratedRegex(@"\b((?:xlink:)?href)=""#([^""]+)""")]
    private static partial Regex HrefReference();
}
