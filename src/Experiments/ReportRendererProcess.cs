using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MLWorkbench.Cli;

/// <summary>
/// Runs the report renderer (<c>renderer/mlwb-report.dll</c> beside this program) in its own process: it
/// uses ScottPlot's SkiaSharp 3, which cannot share a process with ML.NET ImageAnalytics' SkiaSharp 2.88.
/// </summary>
internal static class ReportRendererProcess
{
    public static string RendererPath => Path.Combine(AppContext.BaseDirectory, "renderer", "mlwb-report.dll");

    /// <summary>Renders <paramref name="resultsPath"/> to <paramref name="htmlPath"/>; returns the renderer's exit code and its error text.</summary>
    public static Task<(int ExitCode, string Error)> RenderAsync(string resultsPath, string? htmlPath, CancellationToken cancellationToken) =>
        RunAsync(htmlPath is null ? [resultsPath] : [resultsPath, "--out", htmlPath], cancellationToken);

    /// <summary>Writes <c>index.html</c> in <paramref name="reportsFolder"/>, listing every run found below it.</summary>
    public static Task<(int ExitCode, string Error)> RenderIndexAsync(string reportsFolder, CancellationToken cancellationToken) =>
        RunAsync(["--index", reportsFolder], cancellationToken);

    private static async Task<(int ExitCode, string Error)> RunAsync(string[] arguments, CancellationToken cancellationToken)
    {
        if (!File.Exists(RendererPath))
            return (ExitCodes.Failure, $"The report renderer is missing at '{RendererPath}'; rebuild the solution.");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RendererPath);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the report renderer.");
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await output.ConfigureAwait(false);
        return (process.ExitCode, (await error.ConfigureAwait(false)).Trim());
    }

    /// <summary>The <c>dotnet</c> host that runs this process, so the renderer uses the same runtime.</summary>
    private static string DotnetHost()
    {
        // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/; the host is <root>/dotnet.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..")); // outside-repository: on purpose (the .NET installation)
        var host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }
}
