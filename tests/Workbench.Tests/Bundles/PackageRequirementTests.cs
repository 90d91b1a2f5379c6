using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Images;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;

namespace MLWorkbench.Tests.Bundles;

/// <summary>
/// A bundle's manifest names the MLWorkbench packages its model needs (issue 19), and an application without one of them
/// is told, in one sentence, which package to add. A registry of the core alone stands for an application that
/// references only the MLWorkbench package; bundles saved before manifests named packages are mapped by format name.
/// </summary>
public sealed class PackageRequirementTests
{
    private static readonly ExtensionRegistry CoreOnly = new([]);

    private static string Recorded(string file) => Path.Combine(Repository.Root, "tests", "Workbench.Tests", "Bundles", "Recorded", file);

    private static ModelManifest ManifestOf(string path) => BundleArchive.Read(path, File.ReadAllBytes(path)).Manifest;

    [Fact]
    public void A_core_only_application_has_none_of_the_extensions_models()
    {
        Assert.Equal(["MLWorkbench"], CoreOnly.Packages);
        Assert.Null(CoreOnly.Format("torch"));
        Assert.Null(CoreOnly.Format("torch-image"));
        Assert.Null(CoreOnly.Format("mlnet-image"));
        Assert.Null(CoreOnly.Format("minilm-zeroshot"));
        Assert.NotNull(CoreOnly.Format("mlnet"));
        Assert.NotNull(CoreOnly.Format("mlnet-text"));
        Assert.NotNull(CoreOnly.Format("lexical"));
        Assert.Empty(CoreOnly.Trainers<FeatureMatrix>());
        Assert.Empty(CoreOnly.Trainers<ImageExamples>());
        Assert.Null(CoreOnly.Pretrained("minilm/model.onnx"));
        // This test assembly references every package: each registers itself, dependencies first.
        Assert.Equal(["MLWorkbench", "MLWorkbench.Onnx", "MLWorkbench.Images", "MLWorkbench.Torch"], ExtensionRegistry.Default.Packages);
        Assert.Contains(ExtensionRegistry.Default.Trainers<FeatureMatrix>(), t => t.Name == "mlp");
    }

    [Fact]
    public void A_TorchSharp_bundle_saved_before_manifests_named_packages_is_refused_naming_MLWorkbench_Torch()
    {
        var path = Recorded("wine-mlp.mlwb");
        var manifest = ManifestOf(path);
        Assert.Empty(manifest.RequiredPackages);
        var error = Assert.Throws<WorkbenchInputException>(() => CoreOnly.CheckPackages(path, manifest));
        Assert.Equal(
            $"Model file '{path}' holds a torch model, which needs the MLWorkbench.Torch package: add <PackageReference Include=\"MLWorkbench.Torch\" /> to the application's project.",
            error.Message);
        ExtensionRegistry.Default.CheckPackages(path, manifest);
    }

    [Theory]
    [InlineData("diabetes-sdca.mlwb")]
    [InlineData("intents-ngram.mlwb")]
    public void The_cores_own_bundles_saved_before_need_no_package(string file)
    {
        var path = Recorded(file);
        CoreOnly.CheckPackages(path, ManifestOf(path));
    }

    [Fact]
    public async Task A_new_bundle_names_its_package_and_a_core_model_names_none()
    {
        using var dir = new TempFolder();
        var mlp = await BundleFixtures.RegressionAsync(dir, "mlp");
        var manifest = ManifestOf(mlp.Path);
        Assert.Equal(["MLWorkbench.Torch"], manifest.RequiredPackages);
        Assert.Contains("\"requiredPackages\"", System.Text.Encoding.UTF8.GetString(BundleFixtures.Entry(mlp.Path, BundleArchive.ManifestEntry)));
        Assert.Contains("MLWorkbench.Torch", Assert.Throws<WorkbenchInputException>(() => CoreOnly.CheckPackages(mlp.Path, manifest)).Message);

        using var other = new TempFolder();
        var sdca = await BundleFixtures.RegressionAsync(other, "sdca");
        Assert.Empty(ManifestOf(sdca.Path).RequiredPackages);
        CoreOnly.CheckPackages(sdca.Path, ManifestOf(sdca.Path));
    }

    [Fact]
    public void A_manifest_that_names_a_package_is_believed_over_its_format()
    {
        // A core format whose manifest says it needs MLWorkbench.Onnx (an ML.NET text model on MiniLM features, say).
        var path = Recorded("intents-ngram.mlwb");
        var manifest = ManifestOf(path) with { RequiredPackages = ["MLWorkbench.Onnx"] };
        var error = Assert.Throws<WorkbenchInputException>(() => CoreOnly.CheckPackages(path, manifest));
        Assert.Contains("holds a mlnet-text model, which needs the MLWorkbench.Onnx package: add <PackageReference Include=\"MLWorkbench.Onnx\" />", error.Message);
    }

    [Fact]
    public void Pretrained_files_of_old_bundles_map_to_the_package_that_opens_them()
    {
        Assert.Equal(["MLWorkbench.Onnx"], FormatPackages.OfPretrained("minilm/model.onnx"));
        Assert.Equal(["MLWorkbench.Images"], FormatPackages.OfPretrained("resnet18/ResNet18.onnx"));
        Assert.Equal(["MLWorkbench.Torch"], FormatPackages.Of("torch-image"));
        Assert.Empty(FormatPackages.Of("mlnet"));
        // Every format an extension registers today is mapped, so a bundle saved without the manifest field still says which package.
        var extensionFormats = ExtensionRegistry.Default.Formats.Keys.Where(f => CoreOnly.Format(f) is null).ToList();
        Assert.NotEmpty(extensionFormats);
        Assert.All(extensionFormats, f => Assert.NotEmpty(FormatPackages.Of(f)));
    }

    [Fact]
    public void A_MiniLM_encoder_or_an_ONNX_check_without_MLWorkbench_Onnx_names_the_package()
    {
        var error = Assert.Throws<WorkbenchInputException>(() => CoreOnly.TextEncoder(MlNetTextCandidate.MiniLmEncoder, 128));
        Assert.Contains("needs the MLWorkbench.Onnx package: add <PackageReference Include=\"MLWorkbench.Onnx\" />", error.Message);
        Assert.Null(CoreOnly.OnnxRunner);
        Assert.NotNull(ExtensionRegistry.Default.OnnxRunner);
    }

    [Fact]
    public void Two_missing_packages_are_named_in_one_sentence()
    {
        var error = ExtensionRegistry.Missing("model.mlwb", "mlnet-image", ["MLWorkbench.Images", "MLWorkbench.Torch"]);
        Assert.Equal("Model file 'model.mlwb' holds a mlnet-image model, which needs the MLWorkbench.Images and MLWorkbench.Torch packages: add "
            + "<PackageReference Include=\"MLWorkbench.Images\" /> and <PackageReference Include=\"MLWorkbench.Torch\" /> to the application's project.", error.Message);
    }
}
