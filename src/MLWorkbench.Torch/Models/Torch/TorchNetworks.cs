using System.Reflection;
using MLWorkbench.Bundles;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>
/// The shape a saved network is rebuilt from before its state_dict is loaded: one record per input kind (tabular rows,
/// images, token ids), written into bundles as JSON and naming its architecture.
/// </summary>
internal interface INetworkSpec
{
    /// <summary>The architecture's registered name (e.g. <c>mlp</c>, <c>cnn</c>, <c>gru</c>).</summary>
    string Architecture { get; }
}

/// <summary>A TorchSharp network that says what it is, so that saved weights can be loaded into an empty copy of it.</summary>
/// <typeparam name="TSpec">Its kind's spec.</typeparam>
internal interface INetwork<out TSpec> where TSpec : INetworkSpec
{
    /// <summary>The architecture and the sizes it was built with.</summary>
    TSpec Spec { get; }
}

/// <summary>A network architecture registered under a spec type and a name (see <see cref="TorchNetworks"/>).</summary>
internal interface INetworkArchitecture
{
    /// <summary>The name a spec gives.</summary>
    string Name { get; }

    /// <summary>The spec type it is built from.</summary>
    Type Spec { get; }
}

/// <summary>
/// One architecture: its name, a lower bound on its parameters (its dominant layers; checked against the weights' bytes
/// by <c>TorchWeights.Load</c> before anything is allocated) and how it is built with fresh weights.
/// </summary>
/// <param name="name">The name specs give.</param>
/// <param name="minimumParameters">A lower bound on the parameters the spec's network has.</param>
/// <param name="create">Builds the network; an <see cref="InvalidDataException"/> for sizes it cannot have.</param>
internal sealed class NetworkArchitecture<TSpec, TModule>(string name, Func<TSpec, double> minimumParameters, Func<TSpec, TModule> create)
    : INetworkArchitecture where TSpec : INetworkSpec where TModule : nn.Module
{
    public string Name => name;

    public Type Spec => typeof(TSpec);

    /// <summary>A lower bound on the parameters of the network <see cref="Create"/> builds.</summary>
    public double MinimumParameters(TSpec spec) => minimumParameters(spec);

    /// <summary>Builds the network with fresh weights.</summary>
    public TModule Create(TSpec spec) => create(spec);
}

/// <summary>A network class that registers its architectures (one, or a few variants such as GRU and LSTM).</summary>
internal interface IRegisteredNetwork
{
    /// <summary>The architectures this class builds.</summary>
    static abstract IEnumerable<INetworkArchitecture> Architectures { get; }
}

/// <summary>
/// Declares a network class to <see cref="TorchNetworks"/>: the one registration line, written in the network's own file
/// as <c>[assembly: TorchNetwork&lt;SmallCnn&gt;]</c>.
/// </summary>
internal abstract class TorchNetworkAttribute : Attribute
{
    /// <summary>The class's architectures.</summary>
    public abstract IEnumerable<INetworkArchitecture> Architectures { get; }
}

/// <inheritdoc cref="TorchNetworkAttribute"/>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class TorchNetworkAttribute<TNetwork> : TorchNetworkAttribute where TNetwork : IRegisteredNetwork
{
    public override IEnumerable<INetworkArchitecture> Architectures => TNetwork.Architectures;
}

/// <summary>
/// Every network architecture, read once from the assembly's <see cref="TorchNetworkAttribute"/>s: a spec is turned back
/// into its network here, so no switch names every architecture and adding a network is its file alone.
/// </summary>
internal static class TorchNetworks
{
    private static readonly Lazy<Dictionary<(Type Spec, string Name), INetworkArchitecture>> All = new(() =>
        // Two registrations of one name would make a saved network's meaning depend on order: refuse at once.
        typeof(TorchNetworks).Assembly.GetCustomAttributes<TorchNetworkAttribute>()
            .SelectMany(a => a.Architectures)
            .ToDictionary(a => (a.Spec, a.Name)));

    /// <summary>Every registered architecture.</summary>
    public static IEnumerable<INetworkArchitecture> Architectures => All.Value.Values;

    /// <summary>The architecture <paramref name="spec"/> names.</summary>
    /// <exception cref="InvalidDataException">No network registers it for this kind of spec.</exception>
    public static NetworkArchitecture<TSpec, TModule> Find<TSpec, TModule>(TSpec spec) where TSpec : INetworkSpec where TModule : nn.Module =>
        All.Value.TryGetValue((typeof(TSpec), spec.Architecture), out var found) && found is NetworkArchitecture<TSpec, TModule> architecture
            ? architecture
            : throw new InvalidDataException($"unknown network architecture '{spec.Architecture}'");
}
