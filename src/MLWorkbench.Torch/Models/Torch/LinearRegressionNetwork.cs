using MLWorkbench.Models.Torch;
using TorchSharp;
using static TorchSharp.torch;

[assembly: TorchNetwork<MLWorkbench.Models.Torch.LinearRegressionNetwork>]

namespace MLWorkbench.Models.Torch;

/// <summary>The line (or plane) y = b + w·x: one linear layer, weights starting at zero.</summary>
internal sealed class LinearRegressionNetwork : nn.Module<Tensor, Tensor>, INetwork<NetworkSpec>, IRegisteredNetwork
{
    private readonly nn.Module<Tensor, Tensor> _line;

    public LinearRegressionNetwork(int inputs) : base(nameof(LinearRegressionNetwork))
    {
        _line = nn.Linear(inputs, 1);
        Spec = new NetworkSpec("linear", inputs, 1);
        RegisterComponents();
        using (no_grad())
        {
            foreach (var p in parameters()) p.zero_();
        }
    }

    /// <summary>The sizes it was built with, so a saved state_dict can be loaded into a new copy.</summary>
    public NetworkSpec Spec { get; }

    /// <summary>Its registration: <c>linear</c>, one weight per input (regression only).</summary>
    public static IEnumerable<INetworkArchitecture> Architectures =>
    [
        new NetworkArchitecture<NetworkSpec, nn.Module<Tensor, Tensor>>("linear", s => s.Inputs,
            s => s.Outputs == 1 ? new LinearRegressionNetwork(s.Inputs) : throw new InvalidDataException($"a linear network has one output, not {s.Outputs}")),
    ];

    public override Tensor forward(Tensor x) => _line.call(x).squeeze(-1);
}
