using MLWorkbench.Images;
using MLWorkbench.Models.Torch;
using MLWorkbench.Models.Torch.Bert;
using MLWorkbench.TextClassification;

namespace MLWorkbench.Tests.Bundles;

public class TorchNetworksTests
{
    private static readonly BertConfig SmallBert = new() { VocabularySize = 60, HiddenSize = 16, Layers = 1, Heads = 2, IntermediateSize = 32, MaxPositions = 24 };

    /// <summary>The architecture names are written into bundles: each must stay registered under its spec type, once.</summary>
    [Fact]
    public void Every_architecture_bundles_name_is_registered_once_under_its_spec()
    {
        var registered = TorchNetworks.Architectures.Select(a => $"{a.Spec.Name}/{a.Name}").Order().ToArray();
        string[] expected =
        [
            "ImageNetworkSpec/cnn", "ImageNetworkSpec/resnet18", "ImageNetworkSpec/vit",
            "NetworkSpec/linear", "NetworkSpec/mlp",
            "TextNetworkSpec/bert", "TextNetworkSpec/gru", "TextNetworkSpec/lstm", "TextNetworkSpec/transformer",
        ];
        Assert.Equal(expected.Order(), registered);
    }

    public static TheoryData<string> Specs => ["mlp", "linear", "cnn", "cnn-average+max", "vit", "resnet18", "gru", "lstm", "transformer", "bert"];

    private static (INetworkSpec Spec, Func<TorchSharp.torch.nn.Module> Create, Func<double> Minimum) Spec(string name) => name switch
    {
        "mlp" => Tabular(new NetworkSpec(name, 5, 3, Width: 8, Depth: 2, Dropout: 0.1)),
        "linear" => Tabular(new NetworkSpec(name, 5, 1)),
        "cnn" => Image(new ImageNetworkSpec("cnn", 3, 4, Width: 4, Depth: 2)),
        "cnn-average+max" => Image(new ImageNetworkSpec("cnn", 3, 4, Width: 4, Depth: 2, Pooling: CnnPooling.AverageMax)),
        "vit" => Image(new ImageNetworkSpec("vit", 3, 4, ImageSize: 16, PatchSize: 4, Width: 16, Depth: 1, Heads: 2, MlpDim: 32)),
        "resnet18" => Image(new ImageNetworkSpec("resnet18", 3, 4, Width: 64, Depth: 22)),
        "transformer" => Text(new TextNetworkSpec(name, 60, 3, 16, Depth: 1, Heads: 2, MaxTokens: 12)),
        "bert" => Text(new TextNetworkSpec(name, 60, 3, 16, Bert: SmallBert)),
        _ => Text(new TextNetworkSpec(name, 60, 3, 8, Hidden: 6, Depth: 1, Bidirectional: true)),
    };

    private static (INetworkSpec, Func<TorchSharp.torch.nn.Module>, Func<double>) Tabular(NetworkSpec s) => (s, s.Create, s.MinimumParameters);
    private static (INetworkSpec, Func<TorchSharp.torch.nn.Module>, Func<double>) Image(ImageNetworkSpec s) => (s, s.Create, s.MinimumParameters);
    private static (INetworkSpec, Func<TorchSharp.torch.nn.Module>, Func<double>) Text(TextNetworkSpec s) => (s, s.Create, s.MinimumParameters);

    /// <summary>
    /// A spec builds the network it describes, and its lower bound on parameters holds: the bound is what refuses a
    /// small file that asks for a huge network, so a bound above the truth would refuse sound bundles.
    /// </summary>
    [Theory]
    [MemberData(nameof(Specs))]
    public void A_spec_rebuilds_its_network_and_the_parameter_bound_is_below_the_real_count(string name)
    {
        var (spec, create, minimum) = Spec(name);
        using var network = create();
        var actual = network.parameters().Sum(p => p.numel());
        Assert.InRange(minimum(), 1, actual);
        var described = network.GetType().GetProperty("Spec")!.GetValue(network);
        Assert.Equal(spec, described);
    }

    /// <summary>
    /// Bundles written before the pooling setting name none: they must rebuild the average-pooled head they were saved
    /// with (its weights would not fit the wider head of average+max pooling), and an average-pooled network still writes
    /// no pooling, so its bundle reads as before.
    /// </summary>
    [Fact]
    public void A_cnn_spec_without_pooling_is_the_average_pooled_network_of_older_bundles()
    {
        var json = System.Text.Encoding.UTF8.GetBytes("""{ "architecture": "cnn", "channels": 3, "classes": 4, "width": 4, "depth": 2, "dropout": 0.2 }""");
        var old = System.Text.Json.JsonSerializer.Deserialize<ImageNetworkSpec>(json, MLWorkbench.Bundles.BundleJson.Options)!;
        Assert.Null(old.Pooling);
        using var averaged = old.Create();
        using var both = (old with { Pooling = CnnPooling.AverageMax }).Create();
        // The head reads the last block's 8 channels, or their means and maxima side by side.
        Assert.Equal([4, 8], averaged.named_parameters().Single(p => p.name == "head.weight").parameter.shape);
        Assert.Equal([4, 16], both.named_parameters().Single(p => p.name == "head.weight").parameter.shape);
        Assert.Equal(old, ((SmallCnn)averaged).Spec);
        Assert.DoesNotContain("pooling", System.Text.Encoding.UTF8.GetString(MLWorkbench.Bundles.BundleEntries.ToJson(((SmallCnn)averaged).Spec)));

        var error = Assert.Throws<InvalidDataException>(() => (old with { Pooling = "median" }).Create());
        Assert.Contains("CNN pooling 'median' is not known", error.Message);
    }

    [Fact]
    public void An_unknown_architecture_is_a_data_error()
    {
        var error = Assert.Throws<InvalidDataException>(() => new ImageNetworkSpec("mlp", 3, 4, Width: 4, Depth: 2).Create());
        Assert.Contains("unknown network architecture 'mlp'", error.Message);
    }
}
