using System.Reflection;
using System.Runtime.InteropServices;
using MLWorkbench.Results;

namespace MLWorkbench.Results;

/// <summary>Describes the machine and software a run uses, for the reproducibility section of results.</summary>
internal static class EnvironmentProbe
{
    /// <summary>Captures OS, CPU, .NET and package versions (the core's, then <paramref name="runtimes"/>: those of the extension packages present).</summary>
    public static EnvironmentInfo Capture(int seed, string device, string commandLine, string? suiteSha256 = null,
        IEnumerable<KeyValuePair<string, string>>? runtimes = null) => new()
    {
        Os = RuntimeInformation.OSDescription,
        Cpu = CpuName(),
        CpuCount = Environment.ProcessorCount,
        Dotnet = RuntimeInformation.FrameworkDescription,
        Packages = new Dictionary<string, string>(new KeyValuePair<string, string>[]
        {
            new("MLWorkbench", VersionOf(typeof(EnvironmentProbe).Assembly)),
            new("Microsoft.ML", VersionOf(typeof(Microsoft.ML.MLContext).Assembly)),
            new("Microsoft.ML.FastTree", VersionOf(typeof(Microsoft.ML.Trainers.FastTree.FastTreeRegressionTrainer).Assembly)),
            new("Microsoft.ML.LightGbm", VersionOf(typeof(Microsoft.ML.Trainers.LightGbm.LightGbmRegressionTrainer).Assembly)),
            new("CsvHelper", VersionOf(typeof(CsvHelper.CsvReader).Assembly)),
        }.Concat(runtimes ?? [])),
        Device = device,
        Seed = seed,
        CommandLine = commandLine,
        SuiteSha256 = suiteSha256,
    };

    private static string VersionOf(Assembly assembly)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var plus = version.IndexOf('+');
        return plus > 0 ? version[..plus] : version;
    }

    private static string CpuName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
            }
        }
        catch (IOException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
