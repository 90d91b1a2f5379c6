using MLWorkbench.Bundles;
using MLWorkbench.Models.Torch;
using static TorchSharp.torch;

namespace MLWorkbench.Images;

/// <summary>The architecture of an image network: enough to construct it again before its state_dict is loaded.</summary>
/// <param name="Architecture">The registered name: <c>cnn</c> (<see cref="SmallCnn"/>), <c>vit</c> (<see cref="VisionTransformer"/>) or <c>resnet18</c> (<see cref="ResNet18Network"/>).</param>
/// <param name="Channels">Input channels (1 or 3).</param>
/// <param name="Classes">Output logits.</param>
/// <param name="ImageSize">ViT: the input side in pixels.</param>
/// <param name="PatchSize">ViT: patch side.</param>
/// <param name="Width">CNN: first block's channels. ViT: token width.</param>
/// <param name="Depth">CNN: blocks. ViT: encoder layers.</param>
/// <param name="Heads">ViT: attention heads.</param>
/// <param name="MlpDim">ViT: MLP width.</param>
/// <param name="Dropout">Dropout rate (inactive at prediction).</param>
/// <param name="Pooling">CNN: how the last block's map becomes one vector (<see cref="CnnPooling"/>); null, as in bundles
/// written before the setting, is <see cref="CnnPooling.Average"/>.</param>
internal sealed record ImageNetworkSpec(string Architecture, int Channels, int Classes, int ImageSize = 0, int PatchSize = 0, int Width = 0, int Depth = 0,
    int Heads = 0, int MlpDim = 0, double Dropout = 0, string? Pooling = null) : INetworkSpec
{
    /// <summary>A lower bound on the parameters of the network <see cref="Create"/> builds (its dominant layers).</summary>
    /// <exception cref="InvalidDataException">The architecture is unknown.</exception>
    public double MinimumParameters() => TorchNetworks.Find<ImageNetworkSpec, nn.Module<Tensor, Tensor>>(this).MinimumParameters(this);

    /// <summary>Builds a network of this architecture with fresh weights.</summary>
    /// <exception cref="InvalidDataException">The architecture is unknown or a size is not valid.</exception>
    public nn.Module<Tensor, Tensor> Create()
    {
        if (Channels < 1 || Classes < 2 || Width < 1 || Depth < 1) throw new InvalidDataException($"image network sizes are not valid ({this})");
        return TorchNetworks.Find<ImageNetworkSpec, nn.Module<Tensor, Tensor>>(this).Create(this);
    }
}

/// <summary>
/// The bundle hook of <see cref="TorchImageModel"/>: <c>torch-image.json</c> (architecture, input size, channels, the
/// per-channel normalisation) and <c>weights.bin</c> (the state_dict). A loaded model predicts on the CPU.
/// </summary>
internal sealed partial class TorchImageModel : IBundledModel
{
    internal const string BundleFormat = "torch-image";

    // Members: networks whose probabilities are averaged, in weights.bin, weights-2.bin, …; bundles from before ensembles have 1.
    private sealed record State(ImageNetworkSpec Network, int Size, int Channels, int Classes, float[] Mean, float[] Std, int Members = 1);

    private static string WeightsEntry(int member) => member == 0 ? "weights.bin" : $"weights-{member + 1}.bin";

    /// <summary>Input channels (1 for grayscale, 3 for colour).</summary>
    internal int Channels => _channels;

    string IBundledModel.Format => BundleFormat;

    void IBundledModel.Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
    {
        var spec = (_networks[0] as INetwork<ImageNetworkSpec>)?.Spec
                   ?? throw new NotSupportedException($"Network {_networks[0].GetType().Name} cannot be saved: it does not describe its architecture.");
        entries["torch-image.json"] = BundleEntries.ToJson(new State(spec, _size, _channels, _classes, _mean, _std, _networks.Count));
        for (var m = 0; m < _networks.Count; m++) entries[WeightsEntry(m)] = TorchWeights.Save(_networks[m], spec.Create);
    }

    /// <summary>Reads a model written by the bundle hook; it predicts on the CPU.</summary>
    /// <exception cref="InvalidDataException">The settings are inconsistent.</exception>
    internal static TorchImageModel Load(BundleEntries entries, int classes)
    {
        var state = entries.Json<State>("torch-image.json");
        if (state.Classes != classes || state.Network.Classes != classes) throw new InvalidDataException($"the network has {state.Network.Classes} classes, the manifest {classes}");
        if (state.Channels is not (1 or 3) || state.Network.Channels != state.Channels || state.Mean.Length != state.Channels || state.Std.Length != state.Channels || state.Size < 1)
            throw new InvalidDataException("the image settings are inconsistent");
        if (state.Members is < 1 or > 64) throw new InvalidDataException($"the model has {state.Members} networks");
        var networks = new List<nn.Module<Tensor, Tensor>>();
        try
        {
            for (var m = 0; m < state.Members; m++) networks.Add(TorchWeights.Load(state.Network.MinimumParameters(), state.Network.Create, entries.Bytes(WeightsEntry(m))));
        }
        catch
        {
            foreach (var network in networks) network.Dispose();
            throw;
        }
        var filters = networks[0] switch { SmallCnn cnn => TorchFilters.From(cnn.FirstFilters), ResNet18Network resnet => TorchFilters.From(resnet.FirstFilters), _ => null };
        return new TorchImageModel(networks, state.Size, state.Channels, state.Classes, state.Mean, state.Std, CPU, [], filters);
    }
}
