using MLWorkbench.Models.Torch;
using TorchSharp;
using static TorchSharp.torch;

[assembly: TorchNetwork<MLWorkbench.Models.Torch.MlpNetwork>]

namespace MLWorkbench.Models.Torch;

/// <summary>
/// A multilayer perceptron: <c>depth</c> blocks of Linear → ReLU → Dropout, then a linear output of
/// <c>outputs</c> values (1 for regression, one logit per class for classification).
/// </summary>
internal sealed class MlpNetwork : nn.Module<Tensor, Tensor>, INetwork<NetworkSpec>, IRegisteredNetwork
{
    private readonly nn.Module<Tensor, Tensor> _layers;
    private readonly bool _squeeze;

    public MlpNetwork(int inputs, int width, int depth, double dropout, int outputs = 1) : base(nameof(MlpNetwork))
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var size = inputs;
        for (var i = 0; i < depth; i++)
        {
            modules.Add(($"linear{i}", nn.Linear(size, width)));
            modules.Add(($"relu{i}", nn.ReLU()));
            if (dropout > 0) modules.Add(($"dropout{i}", nn.Dropout(dropout)));
            size = width;
        }
        modules.Add(("output", nn.Linear(size, outputs)));
        _layers = nn.Sequential(modules);
        _squeeze = outputs == 1;
        Spec = new NetworkSpec("mlp", inputs, outputs, width, depth, dropout);
        RegisterComponents();
    }

    /// <summary>The sizes it was built with, so a saved state_dict can be loaded into a new copy.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>Its registration: <c>mlp</c>, whose dominant layers are the input, hidden and output matrices.</summary>
    public static IEnumerable<INetworkArchitecture> Architectures =>
    [
        new NetworkArchitecture<NetworkSpec, nn.Module<Tensor, Tensor>>("mlp",
            s => s.Depth > 0 ? (double)s.Inputs * s.Width + (s.Depth - 1) * (double)s.Width * s.Width + (double)s.Width * s.Outputs : (double)s.Inputs * s.Outputs,
            s => s.Width >= 1 && s.Depth >= 0 ? new MlpNetwork(s.Inputs, s.Width, s.Depth, s.Dropout, s.Outputs) : throw new InvalidDataException($"incomplete network 'mlp' ({s})")),
    ];

    public override Tensor forward(Tensor x)
    {
        var y = _layers.call(x);
        return _squeeze ? y.squeeze(-1) : y;
    }
}
