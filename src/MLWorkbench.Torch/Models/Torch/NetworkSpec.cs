using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>
/// The architecture of a tabular network: enough to construct it again before its state_dict is loaded. The
/// architectures (<c>mlp</c>, <c>linear</c>) register themselves in their own files (<see cref="TorchNetworks"/>).
/// </summary>
/// <param name="Architecture">The registered name.</param>
/// <param name="Inputs">Input features.</param>
/// <param name="Outputs">Output values (1 for regression, one logit per class).</param>
/// <param name="Width">Hidden width (mlp).</param>
/// <param name="Depth">Hidden blocks (mlp).</param>
/// <param name="Dropout">Dropout rate (mlp; inactive at prediction).</param>
internal sealed record NetworkSpec(string Architecture, int Inputs, int Outputs, int Width = 0, int Depth = 0, double Dropout = 0) : INetworkSpec
{
    /// <summary>A lower bound on the parameters of the network <see cref="Create"/> builds.</summary>
    /// <exception cref="InvalidDataException">The architecture is unknown.</exception>
    public double MinimumParameters() => TorchNetworks.Find<NetworkSpec, nn.Module<Tensor, Tensor>>(this).MinimumParameters(this);

    /// <summary>Builds a network of this architecture with fresh weights.</summary>
    /// <exception cref="InvalidDataException">The architecture is unknown or a size is not positive.</exception>
    public nn.Module<Tensor, Tensor> Create()
    {
        if (Inputs < 1 || Outputs < 1) throw new InvalidDataException($"network sizes {Inputs}→{Outputs} are not positive");
        return TorchNetworks.Find<NetworkSpec, nn.Module<Tensor, Tensor>>(this).Create(this);
    }
}

/// <summary>What a TorchSharp tabular model needs besides its weights: the network's shape and the input and label scaling.</summary>
/// <param name="Network">The architecture.</param>
/// <param name="InputMean">Standardizer means, one per feature.</param>
/// <param name="InputScale">Standardizer scales, one per feature.</param>
/// <param name="LabelMean">Regression label mean (0 for classifiers).</param>
/// <param name="LabelScale">Regression label scale (1 for classifiers).</param>
internal sealed record TorchModelState(NetworkSpec Network, float[] InputMean, float[] InputScale, float LabelMean, float LabelScale);
