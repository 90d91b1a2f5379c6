using TorchSharp;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>A multilayer perceptron: <c>depth</c> blocks of Linear → ReLU → Dropout, then one output.</summary>
internal sealed class MlpNetwork : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _layers;

    public MlpNetwork(int inputs, int width, int depth, double dropout) : base(nameof(MlpNetwork))
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
        modules.Add(("output", nn.Linear(size, 1)));
        _layers = nn.Sequential(modules);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => _layers.call(x).squeeze(-1);
}
