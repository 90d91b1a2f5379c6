using System.Text.Json;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>
/// A trained TorchSharp network over standardized inputs. Regression networks output one standardized value
/// (mapped back with the training label's mean and scale); classifiers output one logit per class.
/// </summary>
internal sealed class TorchTabularModel(
    nn.Module<Tensor, Tensor> network, Standardizer inputs, LabelScale label, TaskKind task, Device device, IReadOnlyList<Curve> curves)
    : ITrainedModel<FeatureMatrix>, IBundledModel
{
    public IReadOnlyList<Curve> Curves => curves;

    /// <summary>The bundle format: <c>model/torch.json</c> (architecture, scaling) and <c>model/weights.bin</c> (state_dict).</summary>
    internal const string BundleFormat = "torch";

    public string Format => BundleFormat;

    public void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
    {
        var spec = (network as INetwork<NetworkSpec>)?.Spec
                   ?? throw new NotSupportedException($"Network {network.GetType().Name} cannot be saved: it does not describe its architecture.");
        var (mean, scale) = inputs.ToState();
        entries["torch.json"] = JsonSerializer.SerializeToUtf8Bytes(new TorchModelState(spec, mean, scale, label.Mean, label.Scale), BundleJson.Options);
        entries["weights.bin"] = TorchWeights.Save(network, spec.Create);
    }

    /// <summary>Reads a model written by <see cref="Save"/>; it predicts on the CPU.</summary>
    /// <exception cref="InvalidDataException">The architecture or scaling is inconsistent.</exception>
    internal static TorchTabularModel Load(TorchModelState state, byte[] weights, TaskKind task)
    {
        var inputs = Standardizer.FromState(state.InputMean, state.InputScale);
        if (state.Network.Inputs != state.InputMean.Length) throw new InvalidDataException("the network's input width does not match the standardization");
        var network = TorchWeights.Load(state.Network.MinimumParameters(), state.Network.Create, weights);
        return new TorchTabularModel(network, inputs, new LabelScale(state.LabelMean, state.LabelScale), task, CPU, []);
    }

    public Predictions Predict(FeatureMatrix features)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        network.eval();
        var x = tensor(inputs.Transform(features), [features.Rows, features.Columns], device: device);
        var output = network.call(x);
        if (task == TaskKind.Regression)
            return Predictions.Regression(output.cpu().data<float>().Select(v => v * label.Scale + label.Mean).ToArray());
        var probabilities = nn.functional.softmax(output, 1).cpu();
        var classes = (int)probabilities.shape[1];
        var flat = probabilities.data<float>().ToArray();
        return Predictions.FromProbabilities(Enumerable.Range(0, features.Rows).Select(r => flat.AsSpan(r * classes, classes).ToArray()).ToArray());
    }

    public void Dispose() => network.Dispose();
}

/// <summary>Mean and scale of a regression label (identity for classification).</summary>
internal readonly record struct LabelScale(float Mean, float Scale)
{
    public static LabelScale Identity => new(0, 1);

    public static LabelScale Fit(TaskKind task, float[] labels)
    {
        if (task != TaskKind.Regression) return Identity;
        var (mean, scale) = Standardizer.FitLabel(labels);
        return new LabelScale(mean, scale);
    }
}

/// <summary>Tensors of a split, standardized with the training statistics, on the training device.</summary>
internal sealed class ScaledTensors : IDisposable
{
    public ScaledTensors(FeatureMatrix data, Standardizer inputs, LabelScale label, TaskKind task, Device device)
    {
        X = tensor(inputs.Transform(data), [data.Rows, data.Columns], device: device);
        Y = task == TaskKind.Regression
            ? tensor(data.Labels.Select(v => (v - label.Mean) / label.Scale).ToArray(), [data.Rows], device: device)
            : tensor(data.Labels.Select(v => (long)v).ToArray(), [data.Rows], device: device);
    }

    public Tensor X { get; }
    public Tensor Y { get; }

    public void Dispose() { X.Dispose(); Y.Dispose(); }
}
