using System.Reflection;
using System.Runtime.InteropServices;
using MLWorkbench.Results;

namespace MLWorkbench.Results;

/// <summary>Describes the machine and software a run uses, for the reproducibility section of results.</summary>
internal static class EnvironmentProbe
{
    /// <summary>Captures OS, CPU, .NET and package versions.</summary>
    public static EnvironmentInfo Capture(int seed, string device, string commandLine, string? suiteSha256 = null) => new()
    {
        Os = RuntimeInformation.OSDescription,
        Cpu = CpuName(),
        CpuCount = Environment.ProcessorCount,
        Dotnet = RuntimeInformation.FrameworkDescription,
        Packages = new Dictionary<string, string>
        {
            ["MLWorkbench"] = VersionOf(typeof(EnvironmentProbe).Assembly),
            ["Microsoft.ML"] = VersionOf(typeof(Microsoft.ML.MLContext).Assembly),
            ["Microsoft.ML.FastTree"] = VersionOf(typeof(Microsoft.ML.Trainers.FastTree.FastTreeRegressionTrainer).Assembly),
            ["Microsoft.ML.LightGbm"] = VersionOf(typeof(Microsoft.ML.Trainers.LightGbm.LightGbmRegressionTrainer).Assembly),
            ["TorchSharp"] = VersionOf(typeof(TorchSharp.torch).Assembly),
            ["CsvHelper"] = VersionOf(typeof(CsvHelper.CsvReader).Assembly),
        },
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
