using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json;
using MLWorkbench.Bundles;
using MLWorkbench.Serving;

namespace MLWorkbench.Samples.Tests;

/// <summary>
/// The library as a line-of-business team meets it: from packages, not projects. The test packs MLWorkbench and
/// MLWorkbench.Results into a feed in a temporary folder, builds a small console app against them with its own NuGet
/// packages folder there (the user's packages folder only as a read-only fallback, so nothing of ours is cached
/// outside the temporary folder), publishes it framework-dependent and has it load a tabular bundle and a TorchSharp
/// bundle and predict. The TorchSharp one fails on Debian 12 unless the package's buildTransitive targets patch
/// libLibTorchSharp.so in the consumer's output. About 40 s on 2 cores.
/// </summary>
public class PackageConsumerTests
{
    private static readonly TimeSpan StepLimit = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_consumer_built_from_the_packages_loads_a_tabular_and_a_TorchSharp_bundle_and_predicts()
    {
        using var dir = new TempFolder();
        var csv = TinyModels.Csv(dir.Path);
        var tabular = await TinyModels.TrainAsync(csv, "sdca", Path.Combine(dir.Path, "tabular.mlwb"));
        var torch = await TinyModels.TrainAsync(csv, "mlp", Path.Combine(dir.Path, "torch.mlwb"));
        const string row = """{"x1": 0.5, "x2": -0.25, "colour": "red"}""";

        var feed = Path.Combine(dir.Path, "feed");
        var configuration = typeof(PackageConsumerTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        foreach (var project in new[] { "src/Results/Results.csproj", "src/Workbench/Workbench.csproj" })
            await DotnetAsync(RepositoryRoot(), "pack", Path.Combine(RepositoryRoot(), project), "-c", configuration, "--no-build", "-o", feed);

        var package = Path.Combine(feed, $"MLWorkbench.{PackageVersion}.nupkg");
        using (var zip = ZipFile.OpenRead(package))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.DoesNotContain(names, n => n.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase));
            Assert.Contains("buildTransitive/MLWorkbench.targets", names);
            Assert.Contains("buildTransitive/TorchSharp.Compat.targets", names);
            Assert.Contains("README.md", names);
        }

        var app = WriteConsumer(Path.Combine(dir.Path, "consumer"), feed);
        var publish = Path.Combine(app, "publish");
        // Hard links into the packages folders instead of copies keep the test at a few MB of disk instead of 2.2 GB
        // (libtorch in bin/ and publish/); the TorchSharp fix replaces its file rather than writing through a link.
        await DotnetAsync(app, "publish", "-c", "Release", "-o", publish, "-p:CreateHardLinksForCopyLocalIfPossible=true",
            "-p:CreateHardLinksForCopyFilesToOutputDirectoryIfPossible=true", "-p:CreateHardLinksForPublishFilesIfPossible=true");
        // The pretrained ResNet18 files reach the app from their own package, not from ours.
        Assert.True(File.Exists(Path.Combine(publish, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")), "ResNet18.onnx is missing from the published app.");

        var output = await DotnetAsync(app, Path.Combine(publish, "Consumer.dll"), row, tabular, torch);

        var served = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t')).Where(f => f.Length == 2).ToDictionary(f => f[0], f => ValueOf(f[1]));
        foreach (var bundle in new[] { tabular, torch })
        {
            using var model = WorkbenchModel.Load(bundle);
            var expected = ValueOf(model.PredictJson(row));
            Assert.True(served.TryGetValue(bundle, out var actual), $"The consumer printed no prediction for {bundle}:\n{output}");
            Assert.Equal(expected, actual, 4);
        }
    }

    /// <summary>The version of the packages just packed: this library's, as its assembly records it.</summary>
    private static string PackageVersion
    {
        get
        {
            var version = typeof(WorkbenchModel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
            var plus = version.IndexOf('+');
            return plus > 0 ? version[..plus] : version;
        }
    }

    private static double ValueOf(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("value").GetDouble();
    }

    /// <summary>A console app that references MLWorkbench from <paramref name="feed"/>, with a NuGet configuration of its own.</summary>
    private static string WriteConsumer(string folder, string feed)
    {
        Directory.CreateDirectory(folder);
        // Empty Directory.Build files stop MSBuild from looking further up the temporary folder for someone else's.
        File.WriteAllText(Path.Combine(folder, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(folder, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(folder, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MLWorkbench" Version="{PackageVersion}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), """
            using MLWorkbench.Serving;

            // Consumer ROW_JSON BUNDLE...: one line per bundle, its path, a tab and the prediction as JSON.
            foreach (var path in args.Skip(1))
            {
                using var model = WorkbenchModel.Load(path);
                Console.WriteLine($"{path}\t{model.PredictJson(args[0]).ReplaceLineEndings(" ")}");
            }
            """);
        // Our packages are extracted into a packages folder of this app's own, so a later run never finds a stale copy.
        // The only source is the test feed (no registry can answer for MLWorkbench instead); the third-party packages
        // come, read only, from the user's packages folder, where restoring this repository put them.
        var userPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        Assert.True(Directory.Exists(userPackages), $"The NuGet packages folder '{userPackages}' does not exist; restore the repository first.");
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(folder, "packages")}" /></config>
              <packageSources><clear /><add key="mlworkbench-test-feed" value="{feed}" /></packageSources>
              <fallbackPackageFolders><clear /><add key="user" value="{userPackages}" /></fallbackPackageFolders>
            </configuration>
            """);
        return folder;
    }

    /// <summary>Runs <c>dotnet</c> with <paramref name="args"/> in <paramref name="folder"/>; fails the test with its output unless it exits 0.</summary>
    private static async Task<string> DotnetAsync(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // No MSBuild or compiler server left running after the test.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(StepLimit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.WaitForExit(); // drains the redirected output
        string text;
        lock (output) text = output.ToString();
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} exited with {process.ExitCode}:\n{text}");
        return text;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MLWorkbench.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"MLWorkbench.sln was not found above {AppContext.BaseDirectory}.");
    }
}
