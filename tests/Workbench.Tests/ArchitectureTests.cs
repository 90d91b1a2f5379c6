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

    [Fact]
    public void No_namespaces_of_the_library_reach_each_other_in_a_cycle()
    {
        var graph = NamespaceGraph.Read(typeof(Workbench).Assembly.Location, "MLWorkbench");
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
        [""],                                              // the entry point, Workbench
    ];

    [Fact]
    public void Each_namespace_uses_only_the_layers_below_it()
    {
        var graph = NamespaceGraph.Read(typeof(Workbench).Assembly.Location, "MLWorkbench");
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
}
