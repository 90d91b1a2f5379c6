using MLWorkbench.Data;
using MLWorkbench.Results;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>
/// A trained TorchSharp regression network with the input and label scaling it was trained with.
/// </summary>
internal sealed class TorchRegressionModel(
    nn.Module<Tensor, Tensor> network, Standardizer inputs, (float Mean, float Scale) label, Device device, IReadOnlyList<Curve> curves)
    : IRegressionModel
{
    public IReadOnlyList<Curve> Curves => curves;

    public float[] Predict(FeatureMatrix features)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        network.eval();
        var x = tensor(inputs.Transform(features), [features.Rows, features.Columns], device: device);
        var y = network.call(x).cpu().data<float>().ToArray();
        for (var i = 0; i < y.Length; i++) y[i] = y[i] * label.Scale + label.Mean;
        return y;
    }

    public void Dispose() => network.Dispose();
}

/// <summary>Tensors of a split, standardized with the training statistics, on the training device.</summary>
internal sealed class ScaledTensors : IDisposable
{
    public ScaledTensors(FeatureMatrix data, Standardizer inputs, (float Mean, float Scale) label, Device device)
    {
        X = tensor(inputs.Transform(data), [data.Rows, data.Columns], device: device);
        Y = tensor(data.Labels.Select(v => (v - label.Mean) / label.Scale).ToArray(), [data.Rows], device: device);
    }

    public Tensor X { get; }
    public Tensor Y { get; }

    public void Dispose() { X.Dispose(); Y.Dispose(); }
}
