using System.Text;
using System.Text.RegularExpressions;

namespace MLWorkbench.Reports;

/// <summary>
/// The report's navigation, built from the headings the sections wrote (so it lists exactly the sections
/// the page has): a table of contents under the page header, with each experiment's parts, and a bar of
/// section links that stays at the top of the window while the page scrolls.
/// </summary>
internal static partial class Contents
{
    /// <summary>Inserts the sticky bar and the table of contents after the page's header.</summary>
    /// <param name="body">The page body, its header first; heading texts are already HTML-encoded.</param>
    public static string Insert(string body)
    {
        var sections = new List<(string Id, string Text, List<(string Id, string Text)> Parts)>();
        foreach (Match m in Heading().Matches(body))
        {
            var (level, id, text) = (m.Groups[1].Value, m.Groups[2].Value, Tag().Replace(m.Groups[3].Value, "").Trim());
            if (level == "2") sections.Add((id, text, []));
            else if (sections.Count > 0) sections[^1].Parts.Add((id, text));
        }
        if (sections.Count == 0) return body;
        var nav = new StringBuilder();
        // The bar repeats the top-level links only: one line, scrolled sideways when there are many experiments.
        nav.Append("<nav class=\"jump\" aria-label=\"Sections\"><a href=\"#top\">Top</a>");
        foreach (var (id, text, _) in sections) nav.Append($"<a href=\"#{id}\">{text}</a>");
        nav.Append("</nav>\n<nav class=\"toc\" aria-labelledby=\"contents\">\n<h2 id=\"contents\">Contents</h2>\n<ol>\n");
        foreach (var (id, text, parts) in sections)
        {
            nav.Append($"<li><a href=\"#{id}\">{text}</a>");
            if (parts.Count > 0)
                nav.Append($"<ul>{string.Concat(parts.Select(p => $"<li><a href=\"#{p.Id}\">{p.Text}</a></li>"))}</ul>");
            nav.Append("</li>\n");
        }
        nav.Append("</ol>\n</nav>\n");
        var end = body.IndexOf("</header>", StringComparison.Ordinal);
        var at = end < 0 ? 0 : end + "</header>".Length + 1;
        return body.Insert(Math.Min(at, body.Length), nav.ToString());
    }

    // The ids are the report's own (experiment-3-charts, summary, ...); the text is the encoded heading.
    [GeneratedRegex(@"<h([23]) id=""([A-Za-z0-9_-]+)""[^>]*>(.*?)</h\1>", RegexOptions.Singleline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tag();
}
