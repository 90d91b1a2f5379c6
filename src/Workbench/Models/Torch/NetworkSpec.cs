namespace MLWorkbench.Models.Torch;

/// <summary>A TorchSharp network that can say how to build an empty copy of itself, so saved weights can be loaded into it.</summary>
internal interface ITabularNetwork
{
    /// <summary>The architecture and its sizes.</summary>
    NetworkSpec Spec { get; }
}

/// <summary>
/// The architecture of a tabular network: enough to construct it again before its state_dict is loaded.
/// </summary>
/// <param name="Architecture"><c>mlp</c> or <c>linear</c>.</param>
/// <param name="Inputs">Input features.</param>
/// <param name="Outputs">Output values (1 for regression, one logit per class).</param>
/// <param name="Width">Hidden width (mlp).</param>
/// <param name="Depth">Hidden blocks (mlp).</param>
/// <param name="Dropout">Dropout rate (mlp; inactive at prediction).</param>
internal sealed record NetworkSpec(string Architecture, int Inputs, int Outputs, int Width = 0, int Depth = 0, double Dropout = 0)
{
    /// <summary>A lower bound on the parameters of the network <see cref="Create"/> builds.</summary>
    public double MinimumParameters()
    {
        double inputs = Inputs, outputs = Outputs, width = Width;
        return Architecture switch
        {
            "mlp" when Depth > 0 => inputs * width + (Depth - 1) * width * width + width * outputs,
            "mlp" => inputs * outputs,
            "linear" => inputs,
            _ => 0,
        };
    }

    /// <summary>Builds a network of this architecture with fresh weights.</summary>
    /// <exception cref="InvalidDataException">The architecture is unknown or a size is not positive.</exception>
    public TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Create()
    {
        if (Inputs < 1 || Outputs < 1) throw new InvalidDataException($"network sizes {Inputs}→{Outputs} are not positive");
        return Architecture switch
        {
            "mlp" when Width >= 1 && Depth >= 0 => new MlpNetwork(Inputs, Width, Depth, Dropout, Outputs),
            "linear" when Outputs == 1 => new LinearRegressionNetwork(Inputs),
            _ => throw new InvalidDataException($"unknown network architecture '{Architecture}'"),
        };
    }
}

/// <summary>What a TorchSharp tabular model needs besides its weights: the network's shape and the input and label scaling.</summary>
/// <param name="Network">The architecture.</param>
/// <param name="InputMean">Standardizer means, one per feature.</param>
/// <param name="InputScale">Standardizer scales, one per feature.</param>
/// <param name="LabelMean">Regression label mean (0 for classifiers).</param>
/// <param name="LabelScale">Regression label scale (1 for classifiers).</param>
internal sealed record TorchModelState(NetworkSpec Network, float[] InputMean, float[] InputScale, float LabelMean, float LabelScale);
