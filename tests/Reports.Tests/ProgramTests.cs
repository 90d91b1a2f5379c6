using System.Diagnostics;
using Xunit;

namespace MLWorkbench.Reports.Tests;

public sealed class ProgramTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mlwb-report-tests-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static void AssertOneSentence(string error)
    {
        var lines = error.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("mlwb-report: ", lines[0]);
        Assert.EndsWith(".", lines[0]);
        Assert.DoesNotContain("   at ", error); // no stack trace
        Assert.DoesNotContain("Exception", error);
    }

    [Fact]
    public void Missing_file_exits_2_and_writes_nothing()
    {
        var missing = Path.Combine(folder, "results.json");

        var (code, output, error) = Run(missing);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        AssertOneSentence(error);
        Assert.Contains("does not exist", error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public void Missing_file_through_the_real_entry_point_exits_2()
    {
        var program = Path.Combine(AppContext.BaseDirectory, "mlwb-report.dll");
        var start = new ProcessStartInfo(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet")
        {
            ArgumentList = { program, Path.Combine(folder, "nothing-here.json") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();

        Assert.Equal(2, process.ExitCode);
        Assert.Equal("", output);
        AssertOneSentence(error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public void Invalid_json_exits_2_and_names_the_line()
    {
        var path = Path.Combine(folder, "results.json");
        File.WriteAllText(path, "{\n  \"schemaVersion\": \"1.0\",\n  \"suite\": oops\n}\n");

        var (code, output, error) = Run(path);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        AssertOneSentence(error);
        Assert.Contains("is not a valid results file at line 3, column", error);
        Assert.False(File.Exists(Path.Combine(folder, "index.html")));
    }

    [Fact]
    public void Wrong_types_and_newer_schemas_exit_2()
    {
        var path = Path.Combine(folder, "results.json");
        File.WriteAllText(path, "{ \"experiments\": [ { \"trials\": [ { \"trainSeconds\": \"slow\" } ] } ] }");
        var (code, _, error) = Run(path);
        Assert.Equal(2, code);
        AssertOneSentence(error);
        Assert.Contains("line 1", error);

        File.WriteAllText(path, "{ \"schemaVersion\": \"2.0\" }");
        (code, _, error) = Run(path);
        Assert.Equal(2, code);
        AssertOneSentence(error);
        Assert.Contains("schemaVersion 2.0", error);
    }

    [Theory]
    [InlineData("--verbose")]
    [InlineData("--out")]
    public void Unknown_option_or_missing_value_exits_2(string option)
    {
        var (code, output, error) = Run(Sample.ResultsPath, option);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        AssertOneSentence(error);
        Assert.Contains("usage: mlwb-report <results.json> [--out <file.html>]", error);
    }

    [Fact]
    public void Out_may_not_overwrite_the_results_file()
    {
        var results = Path.Combine(folder, "results.json");
        File.Copy(Sample.ResultsPath, results);

        var (code, _, error) = Run(results, "--out", results);

        Assert.Equal(2, code);
        AssertOneSentence(error);
        Assert.Equal(File.ReadAllText(Sample.ResultsPath), File.ReadAllText(results));
    }

    [Fact]
    public void No_arguments_exit_2_with_usage()
    {
        var (code, _, error) = Run();

        Assert.Equal(2, code);
        AssertOneSentence(error);
        Assert.Contains("usage:", error);
    }

    [Fact]
    public void Writes_index_html_beside_the_results_by_default()
    {
        var results = Path.Combine(folder, "results.json");
        File.Copy(Sample.ResultsPath, results);

        var (code, output, error) = Run(results);

        Assert.Equal(0, code);
        Assert.Equal("", error);
        var page = Path.Combine(folder, "index.html");
        Assert.Equal($"Wrote {page}\n", output.Replace("\r\n", "\n"));
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(page));
        Assert.Contains("<a class=\"results-link\" href=\"results.json\">results.json</a>", File.ReadAllText(page));
    }

    [Fact]
    public void The_page_links_its_results_file_relative_to_where_it_is_written()
    {
        var results = Path.Combine(folder, "my run", "results #1.json");
        Directory.CreateDirectory(Path.GetDirectoryName(results)!);
        File.Copy(Sample.ResultsPath, results);
        var page = Path.Combine(folder, "pages", "report.html");

        var (code, _, _) = Run(results, "--out", page);

        Assert.Equal(0, code);
        Assert.Contains("<a class=\"results-link\" href=\"..%2Fmy%20run%2Fresults%20%231.json\">".Replace("%2F", "/"), File.ReadAllText(page));
    }

    [Fact]
    public void Overwriting_an_existing_page_replaces_it_and_leaves_no_temporary_file()
    {
        var results = Path.Combine(folder, "results.json");
        File.Copy(Sample.ResultsPath, results);
        var page = Path.Combine(folder, "index.html");
        File.WriteAllText(page, "old page");

        var (code, _, _) = Run(results, "--out", page);

        Assert.Equal(0, code);
        Assert.Contains("<h1>quickstart</h1>", File.ReadAllText(page));
        Assert.Equal(["index.html", "results.json"],
            Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Out_creates_missing_folders()
    {
        var page = Path.Combine(folder, "a", "b", "report.html");

        var (code, _, _) = Run("--out", page, Sample.ResultsPath);

        Assert.Equal(0, code);
        Assert.True(File.Exists(page));
        Assert.Single(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(page)!));
    }

    [Fact]
    public void Index_writes_a_page_listing_every_suite_and_the_files_it_could_not_read()
    {
        Directory.CreateDirectory(Path.Combine(folder, "quickstart"));
        File.Copy(Sample.ResultsPath, Path.Combine(folder, "quickstart", "results.json"));
        Directory.CreateDirectory(Path.Combine(folder, "classification"));
        File.Copy(Samples.ClassificationPath, Path.Combine(folder, "classification", "results.json"));
        Directory.CreateDirectory(Path.Combine(folder, "broken"));
        File.WriteAllText(Path.Combine(folder, "broken", "results.json"), "{ \"suite\": ");
        Directory.CreateDirectory(Path.Combine(folder, "no-results-yet"));

        var (code, output, error) = Run("--index", folder);

        Assert.Equal(0, code);
        var page = Path.Combine(folder, "index.html");
        Assert.Equal($"Wrote {page} (2 runs)\n", output.Replace("\r\n", "\n"));
        Assert.StartsWith("mlwb-report: skipped '", error);
        var html = File.ReadAllText(page);
        Assert.Contains("<a href=\"classification/index.html\">classification</a>", html);
        Assert.Contains("<a href=\"quickstart/index.html\">quickstart</a>", html);
        Assert.True(html.IndexOf("classification/index.html", StringComparison.Ordinal) < html.IndexOf("quickstart/index.html", StringComparison.Ordinal), "newest first");
        Assert.Contains("<h2>Could not be read</h2>", html);
        Assert.Contains("<code>broken/results.json</code>: ", html);
        Assert.DoesNotContain("no-results-yet", html);
    }

    [Fact]
    public void Index_of_a_missing_folder_or_with_other_arguments_exits_2()
    {
        var (code, _, error) = Run("--index", Path.Combine(folder, "nowhere"));
        Assert.Equal(2, code);
        AssertOneSentence(error);
        Assert.Contains("does not exist", error);

        (code, _, error) = Run("--index", folder, Sample.ResultsPath);
        Assert.Equal(2, code);
        AssertOneSentence(error);

        (code, _, error) = Run("--index");
        Assert.Equal(2, code);
        AssertOneSentence(error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public void Index_of_an_empty_folder_says_no_runs_were_found()
    {
        var (code, output, _) = Run("--index", folder);

        Assert.Equal(0, code);
        Assert.Contains("(0 runs)", output);
        Assert.Contains("No results found", File.ReadAllText(Path.Combine(folder, "index.html")));
    }
}
