using MLWorkbench.Tasks;

namespace MLWorkbench.AutoML;

/// <summary>The samplers by name, as options and results files spell them.</summary>
public static class Samplers
{
    /// <summary>Every sampler name: <c>random</c>, <c>grid</c>, <c>cfo</c>, <c>tpe</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(["random", "grid", "cfo", "tpe"]);

    /// <summary>A new sampler called <paramref name="name"/> (case-insensitive), with its default settings.</summary>
    /// <exception cref="WorkbenchInputException">No sampler has that name.</exception>
    public static ISampler Create(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "random" => new RandomSampler(),
        "grid" => new GridSampler(),
        "cfo" => new CfoSampler(),
        "tpe" => new TpeSampler(),
        _ => throw new WorkbenchInputException($"Unknown sampler '{name}'; choose one of {string.Join(", ", Names)}."),
    };
}
