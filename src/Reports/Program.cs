using System.Text.Json;
using MLWorkbench.Results;

namespace MLWorkbench.Reports;

/// <summary>
/// <c>mlwb-report &lt;results.json&gt; [--out &lt;file.html&gt;]</c> writes one run's report;
/// <c>mlwb-report --index &lt;reportsDir&gt;</c> writes <c>&lt;reportsDir&gt;/index.html</c> listing every
/// <c>&lt;suite&gt;/results.json</c> in it. Exit codes: 0 written; 2 bad input (one sentence on stderr);
/// 1 unexpected failure.
/// </summary>
internal static class Program
{
    public const string Usage = "usage: mlwb-report <results.json> [--out <file.html>] | mlwb-report --index <reportsDir>";

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>The whole command, with its output streams passed in so tests can run it.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? input = null, html = null, index = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                output.WriteLine(Usage);
                output.WriteLine("Writes the run's report as one self-contained HTML file (default: index.html beside the results file);");
                output.WriteLine("with --index, writes <reportsDir>/index.html listing every <suite>/results.json in the folder.");
                return 0;
            }
            if (arg == "--out")
            {
                if (i + 1 >= args.Length) return BadInput(error, $"--out needs a file name; {Usage}.");
                html = args[++i];
            }
            else if (arg == "--index")
            {
                if (i + 1 >= args.Length) return BadInput(error, $"--index needs the reports folder; {Usage}.");
                index = args[++i];
            }
            else if (arg.StartsWith('-') && arg.Length > 1)
                return BadInput(error, $"unknown option '{arg}'; {Usage}.");
            else if (input is null)
                input = arg;
            else
                return BadInput(error, $"unexpected argument '{arg}'; {Usage}.");
        }
        if (index is not null)
        {
            if (input is not null || html is not null) return BadInput(error, $"--index takes only the reports folder; {Usage}.");
            return WriteIndex(index, output, error);
        }
        if (input is null) return BadInput(error, $"name the results file to render; {Usage}.");

        if (Directory.Exists(input)) return BadInput(error, $"'{input}' is a folder; name its results file (results.json).");
        if (!File.Exists(input)) return BadInput(error, $"'{input}' does not exist.");
        html ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(input))!, "index.html");
        if (Directory.Exists(html)) return BadInput(error, $"--out '{html}' is a folder; give the HTML file's name.");
        if (Path.GetFullPath(html) == Path.GetFullPath(input)) return BadInput(error, "--out names the results file itself; give the HTML file another name.");

        RunResults results;
        try
        {
            results = ResultsFile.Read(input);
        }
        catch (InvalidDataException e)
        {
            return BadInput(error, Describe(e, input));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return BadInput(error, $"cannot read '{input}': {e.Message.TrimEnd('.')}.");
        }

        try
        {
            HtmlReport.Write(results, html, input);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"mlwb-report: cannot write '{html}': {e.Message.TrimEnd('.')}.");
            return 1;
        }
        catch (Exception e)
        {
            // A bug, not bad input: keep the stack trace for the report of it.
            error.WriteLine($"mlwb-report: unexpected failure while rendering '{input}': {e}");
            return 1;
        }
        output.WriteLine($"Wrote {Path.GetFullPath(html)}");
        return 0;
    }

    // Every <suite>/results.json directly under the folder; a file that cannot be read is listed on the
    // page with its problem (and on stderr) instead of failing the whole index.
    private static int WriteIndex(string folder, TextWriter output, TextWriter error)
    {
        if (File.Exists(folder)) return BadInput(error, $"--index '{folder}' is a file; name the reports folder that holds <suite>/results.json.");
        if (!Directory.Exists(folder)) return BadInput(error, $"--index '{folder}' does not exist.");
        var runs = new List<(string, RunResults)>();
        var unreadable = new List<(string, string)>();
        foreach (var suite in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            var path = Path.Combine(suite, "results.json");
            if (!File.Exists(path)) continue;
            var link = $"{Uri.EscapeDataString(Path.GetFileName(suite))}/index.html";
            try
            {
                runs.Add((link, ResultsFile.Read(path)));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                var problem = e is InvalidDataException invalid ? Describe(invalid, path) : $"cannot read '{path}': {e.Message.TrimEnd('.')}.";
                unreadable.Add((Path.GetRelativePath(folder, path), problem));
                error.WriteLine($"mlwb-report: skipped {problem}");
            }
        }
        var page = Path.Combine(folder, "index.html");
        try
        {
            HtmlReport.WriteAtomically(IndexPage.Render(runs, unreadable), page);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"mlwb-report: cannot write '{page}': {e.Message.TrimEnd('.')}.");
            return 1;
        }
        output.WriteLine($"Wrote {Path.GetFullPath(page)} ({runs.Count} run{(runs.Count == 1 ? "" : "s")})");
        return 0;
    }

    private static int BadInput(TextWriter error, string sentence)
    {
        error.WriteLine($"mlwb-report: {sentence}");
        return 2;
    }

    // System.Text.Json's message ends with "Path: $.x | LineNumber: 3 | BytePositionInLine: 5." (zero-based);
    // say the same once, one-based, in one sentence.
    private static string Describe(InvalidDataException e, string input)
    {
        if (e.InnerException is not JsonException json) return e.Message;
        var reason = json.Message;
        var cut = reason.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0) reason = reason[..cut];
        reason = reason.Trim().TrimEnd('.');
        var where = json.LineNumber is { } line ? $" at line {line + 1}, column {(json.BytePositionInLine ?? 0) + 1}" : "";
        var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "" : $" ({json.Path})";
        return $"'{input}' is not a valid results file{where}{field}: {reason}.";
    }
}
