using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace MLWorkbench.Samples.Tests;

/// <summary>
/// The sample service started the way its README shows, with <c>dotnet run --project samples/PredictionService</c>:
/// relative paths the user types resolve against the folder the command runs in, not the sample's project folder.
/// </summary>
public class DotnetRunTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_relative_model_path_resolves_against_the_folder_the_command_runs_in()
    {
        using var dir = new TempFolder();
        var csv = TinyModels.Csv(dir.Path);
        Directory.CreateDirectory(Path.Combine(dir.Path, "models"));
        await TinyModels.TrainAsync(csv, "sdca", Path.Combine(dir.Path, "models", "model.mlwb"));
        var port = FreePort();

        var (served, output) = await RunServiceAsync(dir.Path, ["--model", "models/model.mlwb", "--urls", $"http://127.0.0.1:{port}"], port);

        Assert.True(served, "the service did not answer GET /model:\n" + output);
    }

    [Fact]
    public async Task A_missing_relative_model_is_named_under_the_folder_the_command_runs_in()
    {
        using var dir = new TempFolder();

        var (_, output) = await RunServiceAsync(dir.Path, ["--model", "models/none.mlwb", "--urls", "http://127.0.0.1:0"], port: null);

        Assert.Contains($"Model file '{Path.Combine(dir.Path, "models", "none.mlwb")}' does not exist.", output);
    }

    /// <summary>
    /// Runs the built sample with <c>dotnet run --no-build</c> in <paramref name="folder"/>; when <paramref name="port"/>
    /// is given, waits until GET /model answers 200 there, then stops the process. Returns whether it answered and everything it printed.
    /// </summary>
    private static async Task<(bool Served, string Output)> RunServiceAsync(string folder, string[] args, int? port)
    {
        var project = Path.Combine(RepositoryRoot(), "samples", "PredictionService");
        var configuration = typeof(DotnetRunTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "run", "--no-build", "-c", configuration, "--project", project, "--" }.Concat(args)) start.ArgumentList.Add(a);
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var served = false;
        try
        {
            using var timeout = new CancellationTokenSource(Limit);
            if (port is { } p)
            {
                using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                while (!served && !process.HasExited && !timeout.IsCancellationRequested)
                {
                    try
                    {
                        using var response = await client.GetAsync($"http://127.0.0.1:{p}/model", timeout.Token);
                        served = response.StatusCode == HttpStatusCode.OK;
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(200, timeout.Token);
                    }
                }
            }
            else
            {
                await process.WaitForExitAsync(timeout.Token);
            }
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        lock (output) return (served, output.ToString());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MLWorkbench.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"MLWorkbench.sln was not found above {AppContext.BaseDirectory}.");
    }
}
