using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>
/// A test that needs headless Chromium. Where no Chromium is found (<c>MLWB_CHROMIUM</c>, then <c>PATH</c>, then
/// /usr/bin/chromium) it is reported as skipped with the reason and the install command, so that a fresh machine with
/// only the .NET SDK passes <c>dotnet test</c>. With <c>CI=true</c> or <c>MLWB_REQUIRE_BROWSER=1</c> the test runs
/// anyway and fails with the same sentence: CI must never let a missing browser pass for a clean page.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Skips the test, with the reason, when Chromium is absent and no one requires it.</summary>
    public ChromiumFactAttribute()
    {
        if (ChromiumBrowser.Find() is null && !ChromiumBrowser.Required) Skip = ChromiumBrowser.MissingMessage;
    }
}

/// <summary>Where the browser tests look for Chromium, and whether this environment demands it.</summary>
internal static class ChromiumBrowser
{
    public const string InstallCommand = "sudo apt-get install -y chromium";

    public static readonly string MissingMessage =
        "Chromium was not found (MLWB_CHROMIUM, PATH, /usr/bin/chromium), so the report cannot be checked in a browser; " +
        $"install it with '{InstallCommand}' (Debian/Ubuntu) or set MLWB_CHROMIUM to a Chromium binary.";

    /// <summary>True on CI (<c>CI=true</c>) or with <c>MLWB_REQUIRE_BROWSER=1</c>: a missing browser fails the tests there.</summary>
    public static bool Required =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ||
        Environment.GetEnvironmentVariable("MLWB_REQUIRE_BROWSER") == "1";

    /// <summary>The first Chromium binary found, or null. A set <c>MLWB_CHROMIUM</c> is the only place looked at.</summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("MLWB_CHROMIUM") is { Length: > 0 } configured) return File.Exists(configured) ? configured : null;
        var candidates = new List<string>();
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
                candidates.Add(Path.Combine(dir, name));
        candidates.Add("/usr/bin/chromium");
        return candidates.FirstOrDefault(File.Exists);
    }
}
