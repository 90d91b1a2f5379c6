using MLWorkbench.Bundles;
using TorchSharp;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>The line (or plane) y = b + w·x: one linear layer, weights starting at zero.</summary>
internal sealed class LinearRegressionNetwork : nn.Module<Tensor, Tensor>, ITabularNetwork
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

    public override Tensor forward(Tensor x) => _line.call(x).squeeze(-1);
}
