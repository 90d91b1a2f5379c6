using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>
/// Opens rendered reports in headless Chromium: the page must lay out (a real screenshot), log nothing to
/// the console (no script error, no content-security-policy violation) and make no network request.
/// Without Chromium they are skipped with the install command, except on CI (<c>CI=true</c>, or
/// <c>MLWB_REQUIRE_BROWSER=1</c>), where they fail so that a missing browser cannot pass for a clean page;
/// .ci/run installs Chromium, so CI always runs them (<see cref="ChromiumFactAttribute"/>).
/// </summary>
public sealed class BrowserTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly string folder = Directory.CreateTempSubdirectory("mlwb-report-browser-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [ChromiumFact]
    public void Report_opens_in_headless_chromium_without_console_messages_or_network_requests()
    {
        var page = Path.Combine(folder, "automl.html");
        HtmlReport.Write(Samples.AutoML(), page);
        var screenshot = Path.Combine(folder, "automl.png");
        var netLog = Path.Combine(folder, "net-log.json");

        var (code, _, log) = Chromium("--enable-logging=stderr", "--v=0", $"--log-net-log={netLog}", "--hide-scrollbars",
            "--window-size=1280,2400", $"--screenshot={screenshot}", new Uri(page).AbsoluteUri);

        Assert.Equal(0, code);
        var png = File.ReadAllBytes(screenshot);
        Assert.True(png.Length > 50_000, $"the screenshot has only {png.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.Equal(1280, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(2400, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        // Chromium logs every console message, script error and CSP violation of the page as "CONSOLE".
        Assert.DoesNotContain(log.Split('\n'), line => line.Contains(":CONSOLE", StringComparison.Ordinal));
        Assert.Empty(PageRequests(netLog));
    }

    [ChromiumFact]
    public void Page_with_thumbnails_and_filters_opens_without_console_messages_or_network_requests()
    {
        // data: images must pass the content security policy (a blocked image is logged as a CSP violation).
        var page = Path.Combine(folder, "task-views.html");
        HtmlReport.Write(ResultsFile.Read(TaskViewsTests.TaskViewsPath), page);
        var netLog = Path.Combine(folder, "task-views-net-log.json");

        var (code, dom, log) = Chromium("--enable-logging=stderr", "--v=0", $"--log-net-log={netLog}", "--dump-dom", new Uri(page).AbsoluteUri);

        Assert.Equal(0, code);
        Assert.Contains("<ul class=\"thumbs\">", dom);
        Assert.Contains("data:image/png;base64,", dom);
        Assert.DoesNotContain(log.Split('\n'), line => line.Contains(":CONSOLE", StringComparison.Ordinal));
        Assert.Empty(PageRequests(netLog));
    }

    [ChromiumFact]
    public void Sorting_script_runs_and_a_click_reorders_rows_with_their_settings()
    {
        var html = HtmlReport.Render(Samples.Classification());
        var page = Path.Combine(folder, "classification.html");
        File.WriteAllText(page, html);

        var (code, dom, log) = Chromium("--enable-logging=stderr", "--v=0", "--dump-dom", new Uri(page).AbsoluteUri);

        Assert.Equal(0, code);
        Assert.Contains("<table class=\"leaderboard sortable sorting\">", dom);
        Assert.Contains("<button type=\"button\" class=\"sort\" title=\"Sort by this column\">Train s</button>", dom);
        Assert.DoesNotContain(":CONSOLE", log);

        // The same page with a click on the first leaderboard's "Train s" heading (this harness drops the
        // page's content security policy, which allows only the page's own script).
        var click = """<script>Array.prototype.find.call(document.querySelectorAll("table.leaderboard")[0].querySelectorAll("button.sort"), function (b) { return b.textContent === "Train s"; }).click();</script>""";
        var harness = Path.Combine(folder, "click.html");
        File.WriteAllText(harness, Regex.Replace(html, @"<meta http-equiv=""Content-Security-Policy""[^>]*>", "").Replace("</body>", click + "\n</body>"));
        (code, dom, log) = Chromium("--enable-logging=stderr", "--v=0", "--dump-dom", new Uri(harness).AbsoluteUri);

        Assert.Equal(0, code);
        Assert.DoesNotContain(":CONSOLE", log);
        var table = Regex.Match(dom, @"<table class=""leaderboard sortable sorting"">.*?</table>", RegexOptions.Singleline).Value;
        var rows = Regex.Matches(table, @"<tr class=""([^""]*)"">(.*?)</tr>", RegexOptions.Singleline).Select(m => (Class: m.Groups[1].Value, Html: m.Groups[2].Value)).ToList();
        var trials = rows.Where(r => r.Class.StartsWith("trial ", StringComparison.Ordinal)).Select(r => Sample.PlainText(Regex.Match(r.Html, @"<td class=""candidate"">(.*?)</td>").Groups[1].Value).Replace("selected", "")).ToList();
        Assert.Equal(["lbfgs", "sdca", "lightgbm", "fasttree", "fastforest", "gam", "mlp"], trials); // fastest first
        Assert.Contains("aria-sort=\"ascending\"", table);
        // Each trial row is still followed by its own settings row; the baseline row (no training time) stays last.
        Assert.Equal(["baseline", "detail-row baseline"], rows[^2..].Select(r => r.Class));
        rows = rows[..^2];
        for (var i = 0; i < rows.Count; i += 2)
        {
            Assert.StartsWith("trial ", rows[i].Class);
            Assert.Equal("detail-row " + rows[i].Class, rows[i + 1].Class);
        }
    }

    // Run after the page's own script with its content security policy removed (so that anything injected would
    // run): reports what executed, every on* attribute, the script elements and the text, in a <pre> for --dump-dom.
    private const string Probe = """
        <script>(function () {
          var handlers = [];
          Array.prototype.forEach.call(document.querySelectorAll("*"), function (el) {
            for (var i = 0; i < el.attributes.length; i++) if (/^on/i.test(el.attributes[i].name)) handlers.push(el.tagName + "." + el.attributes[i].name);
          });
          var out = { pwned: window.__pwned === 1, scripts: document.querySelectorAll("script").length, handlers: handlers,
                      h1: document.querySelector("h1").textContent, text: document.body.textContent };
          var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
        })();</script>
        """;

    [ChromiumFact]
    public void Hostile_strings_in_every_field_show_as_text_and_nothing_runs()
    {
        foreach (var everything in new[] { false, true })
        {
            // The recorded quickstart run: schema 1.4, so its candidates' defaults (shown in tooltips) are spoiled too.
            var results = Hostile.Spoil(Samples.QuickstartRun(), folder, everything);
            Assert.All(results.Experiments, e => Assert.NotEmpty(e.CandidateDefaults!));
            var name = everything ? "hostile-all" : "hostile";
            var page = HtmlReport.Render(results);
            Assert.Contains("<li class=\"changed\">", page); // spoiled defaults still match their spoiled settings
            AssertInert(name, page, Hostile.Spoiled("quickstart"));
            AssertInert(name + "-index", HtmlReport.RenderIndex([("run/index.html", results)]), "All runs");
        }
    }

    private void AssertInert(string name, string html, string heading)
    {
        // With its content security policy: nothing logged (an injected script or handler would be refused, and logged), nothing fetched.
        var page = Path.Combine(folder, name + ".html");
        File.WriteAllText(page, html);
        var netLog = Path.Combine(folder, name + "-net-log.json");
        var (code, _, log) = Chromium("--enable-logging=stderr", "--v=0", $"--log-net-log={netLog}", "--dump-dom", new Uri(page).AbsoluteUri);
        Assert.Equal(0, code);
        Assert.DoesNotContain(log.Split('\n'), line => line.Contains(":CONSOLE", StringComparison.Ordinal));
        Assert.Empty(PageRequests(netLog));

        // Without it, and with a probe: still nothing runs, no element gained an event handler, and the payloads read as text.
        var harness = Path.Combine(folder, name + "-probe.html");
        File.WriteAllText(harness, Regex.Replace(html, @"<meta http-equiv=""Content-Security-Policy""[^>]*>", "").Replace("</body>", Probe + "\n</body>"));
        (code, var dom, log) = Chromium("--enable-logging=stderr", "--v=0", "--dump-dom", new Uri(harness).AbsoluteUri);
        Assert.Equal(0, code);
        Assert.DoesNotContain(":CONSOLE", log);
        var probe = JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(Regex.Match(dom, @"<pre id=""probe"">(.*?)</pre>", RegexOptions.Singleline).Groups[1].Value)).RootElement;
        Assert.False(probe.GetProperty("pwned").GetBoolean());
        Assert.Equal(2, probe.GetProperty("scripts").GetInt32()); // the page's own and the probe
        Assert.Empty(probe.GetProperty("handlers").EnumerateArray());
        Assert.Equal(heading, probe.GetProperty("h1").GetString());
        var text = probe.GetProperty("text").GetString()!;
        Assert.All(Hostile.Payloads, payload => Assert.Contains(payload, text));
    }

    // Formula starts a spreadsheet would run (=, +, -, @), with the markup payloads, as names a data file can give.
    private static readonly string[] FormulaNames = ["=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "-2+3,\"quoted\"", "@SUM(1+1)"];

    [ChromiumFact]
    public void Leaderboard_csv_link_decodes_in_the_browser_to_the_table_rows_with_formulas_defused()
    {
        var results = Samples.QuickstartRun();
        var wine = results.Experiments.Single(e => e.Name == "wine-cultivar");
        var renamed = wine.Trials.Take(FormulaNames.Length).ToList();
        for (var i = 0; i < renamed.Count; i++)
        {
            if (wine.Best == renamed[i].Candidate) wine.Best = FormulaNames[i] + Hostile.Payloads[0];
            renamed[i].Candidate = FormulaNames[i] + Hostile.Payloads[0];
        }
        wine.Trials[0].Family = "=1+1";
        var html = HtmlReport.Render(results);
        var harness = Path.Combine(folder, "csv-probe.html");
        File.WriteAllText(harness, Regex.Replace(html, @"<meta http-equiv=""Content-Security-Policy""[^>]*>", "").Replace("</body>", CsvProbe + "\n</body>"));

        var (code, dom, log) = Chromium("--enable-logging=stderr", "--v=0", "--dump-dom", new Uri(harness).AbsoluteUri);

        Assert.Equal(0, code);
        Assert.DoesNotContain(":CONSOLE", log);
        var probe = JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(Regex.Match(dom, @"<pre id=""probe"">(.*?)</pre>", RegexOptions.Singleline).Groups[1].Value)).RootElement;
        Assert.Equal(results.Experiments.Count, probe.GetArrayLength());
        foreach (var experiment in probe.EnumerateArray())
        {
            var name = experiment.GetProperty("name").GetString()!;
            Assert.Equal(name + "-leaderboard.csv", experiment.GetProperty("download").GetString());
            var csv = Csv(experiment.GetProperty("csv").GetString()!);
            var table = experiment.GetProperty("rows").EnumerateArray().Select(r => (Name: r[0].GetString()!, Validation: r[1].GetString()!, Test: r[2].GetString()!)).ToList();
            var header = csv[0];
            var e = results.Experiments.Single(x => x.Name == name);
            int candidate = header.IndexOf("candidate"), validation = header.IndexOf($"validation_{e.PrimaryMetric}"), test = header.IndexOf($"test_{e.PrimaryMetric}");
            // Every trial row of the table, in the table's order, then the baseline.
            var trials = csv.Skip(1).Where(r => r[header.IndexOf("status")] != "reference").ToList();
            Assert.Equal(table.Count, trials.Count);
            for (var i = 0; i < table.Count; i++)
            {
                var cell = trials[i][candidate];
                Assert.Equal(table[i].Name, cell.StartsWith('\'') && cell.Length > 1 && cell[1] is '=' or '+' or '-' or '@' ? cell[1..] : cell);
                Assert.Equal(table[i].Validation, Shown(trials[i][validation]));
                Assert.Equal(table[i].Test, Shown(trials[i][test]));
            }
            // No text cell starts like a formula; numbers (which may be negative) are numbers.
            foreach (var row in csv.Skip(1))
                foreach (var field in row.Where(f => f.Length > 0 && !double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
                    Assert.False(field[0] is '=' or '+' or '-' or '@', $"'{field}' starts like a formula");
        }
        var wineCsv = Csv(probe.EnumerateArray().Single(x => x.GetProperty("name").GetString() == "wine-cultivar").GetProperty("csv").GetString()!);
        var names = wineCsv.Skip(1).Select(r => r[1]).ToList();
        Assert.All(FormulaNames, f => Assert.Contains("'" + f + Hostile.Payloads[0], names));
        Assert.Contains("'=1+1", wineCsv.Skip(1).Select(r => r[2]));
    }

    // The table shows numbers at four significant digits and a dash for none.
    private static string Shown(string csvNumber) =>
        csvNumber.Length == 0 ? "–" : NumberFormat.Significant(double.Parse(csvNumber, CultureInfo.InvariantCulture));

    // RFC 4180: fields split at commas outside quotes, "" inside quotes is one quote, records end at CRLF.
    private static List<List<string>> Csv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') { row.Add(field.ToString()); field.Clear(); rows.Add(row); row = []; i++; }
            else field.Append(c);
        }
        Assert.False(quoted, "the CSV ends inside a quoted field");
        Assert.Equal(0, field.Length + row.Count); // the last record ends with CRLF
        Assert.All(rows, r => Assert.Equal(rows[0].Count, r.Count));
        return rows;
    }

    // For each experiment: its name, the CSV link's download name and text as the browser decodes it, and the
    // leaderboard's trial rows (name, validation and test score as shown).
    private const string CsvProbe = """
        <script>(function () {
          var out = [];
          Array.prototype.forEach.call(document.querySelectorAll("section.experiment"), function (section) {
            var link = section.querySelector("a.csv"), href = link.getAttribute("href");
            var rows = Array.prototype.map.call(section.querySelectorAll("table.leaderboard tbody tr.trial:not(.detail-row)"), function (tr) {
              var score = function (cls) { var td = tr.querySelector("td." + cls); return td ? td.textContent.split(" ±")[0].trim() : "–"; };
              return [tr.querySelector("td.candidate").firstChild.textContent, score("validation"), score("test")];
            });
            out.push({ name: section.querySelector("h2").firstChild.textContent.trim(), download: link.getAttribute("download"),
                       csv: decodeURIComponent(href.substring(href.indexOf(",") + 1)), rows: rows });
          });
          var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
        })();</script>
        """;

    [ChromiumFact]
    public void Quickstart_screenshots_at_1400_and_900_pixels_have_no_overlapping_text_in_the_confusion_matrices()
    {
        // The recorded quickstart run, as `mlwb run experiments/quickstart.yaml` writes it.
        var html = HtmlReport.Render(Samples.QuickstartRun());
        var kept = Directory.CreateDirectory(Environment.GetEnvironmentVariable("MLWB_TEST_ARTIFACTS") is { Length: > 0 } artifacts
            ? artifacts : Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;
        foreach (var width in new[] { 1400, 900 })
        {
            // Screenshots of the page as a reader sees it, kept for people to look at.
            var page = Path.Combine(folder, $"quickstart-{width}.html");
            File.WriteAllText(page, html);
            var screenshot = Path.Combine(kept, $"quickstart-{width}.png");
            var (code, _, log) = Chromium("--enable-logging=stderr", "--v=0", "--hide-scrollbars", $"--window-size={width},4000", $"--screenshot={screenshot}", new Uri(page).AbsoluteUri);
            Assert.Equal(0, code);
            Assert.DoesNotContain(log.Split('\n'), line => line.Contains(":CONSOLE", StringComparison.Ordinal));
            Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(File.ReadAllBytes(screenshot).AsSpan(16)));

            // Every text of every confusion matrix as laid out at this width (rotated boxes included), checked pairwise.
            var harness = Path.Combine(folder, $"quickstart-{width}-probe.html");
            File.WriteAllText(harness, Regex.Replace(html, @"<meta http-equiv=""Content-Security-Policy""[^>]*>", "").Replace("</body>", OverlapProbe + "\n</body>"));
            (code, var dom, _) = Chromium("--dump-dom", $"--window-size={width},4000", new Uri(harness).AbsoluteUri);
            Assert.Equal(0, code);
            var probe = JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(Regex.Match(dom, @"<pre id=""probe"">(.*?)</pre>", RegexOptions.Singleline).Groups[1].Value)).RootElement;
            Assert.Equal(4, probe.GetProperty("matrices").GetInt32()); // breast cancer, wine, intents and digits; none for regression
            Assert.True(probe.GetProperty("texts").GetInt32() > 250); // 2·2 + 3·3 + 10·10 + 10·10 counts, their class names and axis labels
            Assert.Empty(probe.GetProperty("overlaps").EnumerateArray().Select(o => o.GetString()));
        }
    }

    // Corners of each text's box in page coordinates (through its transform, so rotated labels are rotated boxes),
    // and the separating-axis test on each pair of boxes in one matrix.
    private const string OverlapProbe = """
        <script>(function () {
          function corners(t) { var b = t.getBBox(), m = t.getScreenCTM();
            return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]].map(function (p) {
              return [m.a * p[0] + m.c * p[1] + m.e, m.b * p[0] + m.d * p[1] + m.f]; }); }
          function apart(P, Q) { var polys = [P, Q];
            for (var k = 0; k < 2; k++) for (var i = 0; i < 4; i++) { var a = polys[k][i], b = polys[k][(i + 1) % 4];
              var nx = b[1] - a[1], ny = a[0] - b[0], len = Math.sqrt(nx * nx + ny * ny); if (!len) continue; nx /= len; ny /= len;
              var p = P.map(function (v) { return v[0] * nx + v[1] * ny; }), q = Q.map(function (v) { return v[0] * nx + v[1] * ny; });
              if (Math.max.apply(null, p) <= Math.min.apply(null, q) + 0.5 || Math.max.apply(null, q) <= Math.min.apply(null, p) + 0.5) return true; }
            return false; }
          var overlaps = [], count = 0, matrices = 0;
          Array.prototype.forEach.call(document.querySelectorAll("svg"), function (svg) {
            var title = svg.querySelector("title"); if (!title || title.textContent.indexOf("Confusion matrix") !== 0) return;
            matrices++;
            var texts = Array.prototype.filter.call(svg.querySelectorAll("text"), function (t) { return t.textContent.trim() !== ""; });
            count += texts.length;
            var boxes = texts.map(corners);
            for (var i = 0; i < texts.length; i++) for (var j = i + 1; j < texts.length; j++)
              if (!apart(boxes[i], boxes[j])) overlaps.push(title.textContent + ": '" + texts[i].textContent + "' and '" + texts[j].textContent + "'");
          });
          var pre = document.createElement("pre"); pre.id = "probe";
          pre.textContent = JSON.stringify({ matrices: matrices, texts: count, overlaps: overlaps }); document.body.appendChild(pre);
        })();</script>
        """;

    /// <summary>URL requests the page made; the browser's own background requests carry no initiator origin.</summary>
    private static List<string> PageRequests(string netLogPath)
    {
        var text = File.ReadAllText(netLogPath).TrimEnd();
        // A log cut short at exit lacks its closing brackets.
        if (!text.EndsWith('}')) text = text.TrimEnd(',') + "]}";
        using var log = JsonDocument.Parse(text);
        var types = log.RootElement.GetProperty("constants").GetProperty("logEventTypes");
        var start = types.GetProperty("URL_REQUEST_START_JOB").GetInt32();
        var requests = new List<string>();
        foreach (var e in log.RootElement.GetProperty("events").EnumerateArray())
        {
            if (e.GetProperty("type").GetInt32() != start || !e.TryGetProperty("params", out var p) || !p.TryGetProperty("url", out var url)) continue;
            var initiator = p.TryGetProperty("initiator", out var i) ? i.GetString() : null;
            if (initiator != "not an origin") requests.Add($"{url.GetString()} (initiator {initiator})");
        }
        return requests;
    }

    private (int Code, string Output, string Log) Chromium(params string[] args)
    {
        var start = new ProcessStartInfo(FindChromium())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--no-first-run", "--disable-extensions", "--disable-sync", $"--user-data-dir={Directory.CreateDirectory(Path.Combine(folder, $"profile-{Guid.NewGuid():N}")).FullName}" })
            start.ArgumentList.Add(arg);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var log = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"Chromium did not finish within {Limit.TotalSeconds} s.");
        }
        return (process.ExitCode, output.Result, log.Result);
    }

    private static string FindChromium() =>
        ChromiumBrowser.Find() ?? throw new Xunit.Sdk.XunitException(ChromiumBrowser.MissingMessage);
}
