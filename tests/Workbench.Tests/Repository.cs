namespace MLWorkbench.Tests;

/// <summary>
/// The repository these tests were built from: the folder holding MLWorkbench.sln, found by walking up from the
/// test assembly. Every file a test reads lives under it (datasets/, experiments/), never beside it: a user who
/// clones the project has nothing else.
/// </summary>
internal static class Repository
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The repository's root folder.</summary>
    public static string Root => RootPath.Value;

    /// <summary>A path under the repository's datasets/ folder; throws with the path when it does not exist.</summary>
    public static string Dataset(params string[] parts)
    {
        var path = Path.Combine([Root, "datasets", .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"{Path.GetRelativePath(Root, path)} is missing from the repository at {Root}.", path);
        return path;
    }

    /// <summary>The <c>dotnet</c> host running these tests (beside the shared runtime folder), or plain "dotnet" from PATH.</summary>
    public static string DotnetHost
    {
        get
        {
            var dotnet = Path.Combine(Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..")), "dotnet"); // outside-repository: on purpose (the .NET installation)
            return File.Exists(dotnet) ? dotnet : "dotnet";
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MLWorkbench.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"MLWorkbench.sln was not found above {AppContext.BaseDirectory}; run the tests from the repository.");
    }
}
