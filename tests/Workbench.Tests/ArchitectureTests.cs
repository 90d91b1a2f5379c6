using NetArchTest.Rules;

namespace MLWorkbench.Tests;

/// <summary>
/// The layers of the library that hold today, held by tests: data and tasks at the bottom, the search engine's samplers
/// and pruners knowing nothing of models, evaluation knowing nothing of searches, experiments or bundles. Each rule names
/// the types that break it. (The namespaces of models, families, searches, experiments and bundles still reach each
/// other; docs/architecture.md says which way they should go.)
/// </summary>
public sealed class ArchitectureTests
{
    private const string Root = "MLWorkbench.";

    // Everything above data: models and their families, evaluation, search, experiments, bundles.
    private static readonly string[] AboveData =
        [.. new[] { "Models", "Evaluation", "AutoML", "Experiments", "Bundles", "Images", "TextClassification", "Similarity" }.Select(n => Root + n)];

    private static Types Library => Types.InAssembly(typeof(Workbench).Assembly);

    private static void AssertHolds(ConditionList rule, string what)
    {
        var result = rule.GetResult();
        Assert.True(result.IsSuccessful, $"{what}; broken by: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void Task_kinds_depend_on_nothing_else_in_the_library() =>
        AssertHolds(Library.That().ResideInNamespace(Root + "Tasks").ShouldNot().HaveDependencyOnAny([.. AboveData, Root + "Data", Root + "Text"]),
            "MLWorkbench.Tasks is the bottom layer");

    [Fact]
    public void Data_loading_knows_nothing_of_models_searches_or_bundles() =>
        AssertHolds(Library.That().ResideInNamespace(Root + "Data").ShouldNot().HaveDependencyOnAny(AboveData),
            "MLWorkbench.Data sits below every model family");

    [Fact]
    public void The_tokenizer_knows_nothing_of_models_searches_or_bundles() =>
        AssertHolds(Library.That().ResideInNamespaceMatching(@"^MLWorkbench\.Text$").ShouldNot().HaveDependencyOnAny(AboveData),
            "MLWorkbench.Text (WordPiece) sits below the models that use it");

    [Fact]
    public void Samplers_and_pruners_know_nothing_of_models_experiments_or_bundles()
    {
        string[] forbidden = [Root + "Models", Root + "Experiments", Root + "Bundles", Root + "Images", Root + "TextClassification", Root + "Similarity", Root + "Data"];
        AssertHolds(Library.That().ResideInNamespace(Root + "AutoML.Samplers").ShouldNot().HaveDependencyOnAny(forbidden),
            "a sampler sees trials and search spaces only");
        AssertHolds(Library.That().ResideInNamespace(Root + "AutoML.Pruners").ShouldNot().HaveDependencyOnAny(forbidden),
            "a pruner sees trials only");
    }

    [Fact]
    public void Evaluation_knows_nothing_of_searches_experiments_bundles_or_task_families() =>
        AssertHolds(Library.That().ResideInNamespace(Root + "Evaluation").ShouldNot().HaveDependencyOnAny(
                Root + "AutoML", Root + "Experiments", Root + "Bundles", Root + "Images", Root + "TextClassification", Root + "Similarity"),
            "metrics are computed from labels and predictions");

    [Fact]
    public void The_library_does_not_reach_the_command_line_or_the_report() =>
        AssertHolds(Library.ShouldNot().HaveDependencyOnAny("MLWorkbench.Cli", "MLWorkbench.Reports", "Spectre.Console", "System.CommandLine", "ScottPlot"),
            "the CLI and the renderer use the library, never the reverse");
}
