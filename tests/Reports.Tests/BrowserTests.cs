using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>
/// Opens rendered reports in headless Chromium: the page must lay out (a real screenshot), log nothing to
/// the console (no script error, no content-security-policy violation) and make no network request.
/// CI installs Chromium (.ci/run); without it these tests fail rather than skip, so that a missing browser
/// cannot pass for a clean page.
/// </summary>
public sealed class BrowserTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly string folder = Directory.CreateTempSubdirectory("mlwb-report-browser-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
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

    [Fact]
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

    [Fact]
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

    private static string FindChromium()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("MLWB_CHROMIUM") is { Length: > 0 } configured) candidates.Add(configured);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
                candidates.Add(Path.Combine(dir, name));
        candidates.Add("/usr/bin/chromium");
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new Xunit.Sdk.XunitException(
                "Chromium is not installed, so the report cannot be checked in a browser. CI installs it: .ci/run runs " +
                "'apt-get install -y chromium' before the tests. Install it the same way here (or set MLWB_CHROMIUM to a Chromium binary).");
    }
}
