// What the benchmark programs share: where the repository is, the machine's load, and "--name value" options.
// Compiled into each benchmark project that lists it (they are separate executables, not part of the solution).
internal static class BenchmarkHost
{
    /// <summary>The repository root: the first folder above the executable that holds MLWorkbench.sln.</summary>
    public static string Repository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MLWorkbench.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Run from inside the repository (MLWorkbench.sln not found).");
    }

    /// <summary>The one-minute load average (Linux), or n/a.</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    /// <summary>Removes "<paramref name="name"/> value" from <paramref name="arguments"/> and returns the value (null when absent).</summary>
    public static string? TakeOption(List<string> arguments, string name)
    {
        var at = arguments.IndexOf(name);
        if (at < 0 || at + 1 >= arguments.Count) return null;
        var value = arguments[at + 1];
        arguments.RemoveRange(at, 2);
        return value;
    }
}
