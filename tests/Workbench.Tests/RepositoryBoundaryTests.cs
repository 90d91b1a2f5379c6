using System.Text.RegularExpressions;

namespace MLWorkbench.Tests;

/// <summary>
/// Keeps the repository self-contained: a user who clones it has nothing beside it, so no suite, test, benchmark,
/// sample, script or build file may name a path that lands outside the repository. Each relative path is resolved
/// from its own file's folder (a suite one level down that names the datasets folder one step up is fine: it stays inside). A line that leaves the
/// repository on purpose (the .NET runtime's own folders, a path-traversal test) carries the marker
/// <c>outside-repository: on purpose</c>.
/// </summary>
public class RepositoryBoundaryTests
{
    private const string Marker = "outside-repository: on purpose";

    private static readonly string[] Folders = ["src", "tests", "benchmarks", "samples", "experiments", "datasets", "build", "docs", ".ci"];
    private static readonly string[] Extensions = [".cs", ".csproj", ".props", ".targets", ".yaml", ".yml", ".sh", ".py", ".json", ".sln", ""];
    private static readonly string[] Skipped = ["bin", "obj", "out", "TestResults", "BenchmarkDotNet.Artifacts"];

    // A parent or current-folder step starting a token (string literal, attribute value, YAML scalar, shell word).
    private static readonly Regex RelativePath = new(@"(?<![\w.$/\\-])\.\.?[/\\][^\s""'<>;,)|`*]*", RegexOptions.Compiled);
    // Parent steps after a variable that names the file's own folder: HERE, the dirname of $0, MSBuildThisFileDirectory.
    private static readonly Regex VariableRelative = new(@"(?:\$\{?\w+\}?|\$\([^)]*\))[/\\]?((?:\.\.[/\\])+[^\s""'<>;,)|`*]*)", RegexOptions.Compiled);
    // A run of parent segments joined in code, as Path.Combine or os.path.join arguments.
    private static readonly Regex ParentSegments = new(@"""\.\.""(\s*,\s*""\.\."")*", RegexOptions.Compiled);
    // A YAML value that names a file: "key: some/path" (suites resolve these from the suite's folder).
    private static readonly Regex YamlPath = new(@"^\s*-?\s*[\w-]+\s*:\s*([^\s#{}\[\]]*[/\\][^\s#{}\[\]]*)\s*(#.*)?$", RegexOptions.Compiled);

    public static IEnumerable<string> Files() =>
        Folders.Select(f => Path.Combine(Repository.Root, f)).Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFiles(Repository.Root))
            .Where(f => Extensions.Contains(Path.GetExtension(f)) && !Relative(f).Split('/').Any(Skipped.Contains))
            .Where(f => Path.GetExtension(f).Length > 0 || Relative(f).StartsWith(".ci/", StringComparison.Ordinal));

    [Fact]
    public void No_file_names_a_path_outside_the_repository()
    {
        var found = new List<string>();
        var files = Files().ToList();
        Assert.True(files.Count > 100, $"only {files.Count} files were scanned");
        foreach (var file in files)
        {
            var folder = Path.GetDirectoryName(file)!;
            var yaml = Path.GetExtension(file) is ".yaml" or ".yml";
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (line.Contains(Marker, StringComparison.Ordinal)) continue;
                foreach (var path in PathsIn(line, yaml))
                    if (!Inside(Path.GetFullPath(Path.Combine(folder, path))))
                        found.Add($"{Relative(file)}:{i + 1}: '{path}' resolves outside the repository");
            }
        }
        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    [Fact]
    public void Code_that_searches_upward_stops_at_the_repository_root()
    {
        // Walking up from the build output to a folder found by its name can land beside the repository, in a folder a
        // user's clone does not have; the only marker a search may look for is the repository's own MLWorkbench.sln.
        var found = Files().Where(f => Path.GetExtension(f) == ".cs")
            .Where(f => File.ReadAllText(f) is var text && text.Contains("dir.Parent", StringComparison.Ordinal) && !text.Contains("MLWorkbench.sln", StringComparison.Ordinal))
            .Select(Relative).ToList();
        Assert.True(found.Count == 0, "these files search upward for something other than MLWorkbench.sln: " + string.Join(", ", found));
    }

    [Theory]
    [InlineData("data: {up3}/elsewhere/x.csv", true)]
    [InlineData("data: {up2}/datasets/x.csv", false)]
    [InlineData("var d = Path.Combine(here, {dots3}, \"elsewhere\");", true)]
    [InlineData("var d = Path.Combine(here, {dots2}, \"datasets\");", false)]
    [InlineData("<Import Project=\"{up2}/build/ReportRenderer.targets\" />", false)]
    [InlineData("STSB=\"$HERE/{up3}/elsewhere\"", true)]
    public void The_scan_catches_a_path_that_leaves_the_repository(string line, bool leaves)
    {
        // Parent steps are spelled with placeholders ({up2}: two steps), so that this file itself names no relative path.
        foreach (var n in (int[])[2, 3])
            line = line.Replace($"{{up{n}}}", string.Join('/', Enumerable.Repeat("..", n)), StringComparison.Ordinal)
                .Replace($"{{dots{n}}}", string.Join(", ", Enumerable.Repeat("\"..\"", n)), StringComparison.Ordinal);
        // As if the line were in a file of tests/Workbench.Tests (two levels below the root).
        var folder = Path.Combine(Repository.Root, "tests", "Workbench.Tests");
        Assert.Equal(leaves, PathsIn(line, yaml: true).Any(p => !Inside(Path.GetFullPath(Path.Combine(folder, p)))));
    }

    /// <summary>The relative paths a line names, each to be resolved from its file's folder.</summary>
    private static IEnumerable<string> PathsIn(string line, bool yaml)
    {
        var paths = RelativePath.Matches(line).Select(m => m.Value).ToList();
        paths.AddRange(VariableRelative.Matches(line).Select(m => m.Groups[1].Value));
        paths.AddRange(ParentSegments.Matches(line).Select(m => string.Join('/', Enumerable.Repeat("..", Regex.Matches(m.Value, @"\.\.").Count))));
        if (yaml && YamlPath.Match(line) is { Success: true } y && !y.Groups[1].Value.Contains("://", StringComparison.Ordinal)) paths.Add(y.Groups[1].Value);
        return paths.Distinct();
    }

    private static bool Inside(string path)
    {
        var root = Repository.Root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return path.StartsWith(root, StringComparison.Ordinal) || path == root.TrimEnd(Path.DirectorySeparatorChar);
    }

    private static string Relative(string path) => Path.GetRelativePath(Repository.Root, path).Replace('\\', '/');
}
