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

    /// <summary>Independent uniform draws from each parameter's range (log-uniform where the range says so).</summary>
    public static ISampler Random() => new RandomSampler();

    /// <summary>A grid over every trainer's parameters, visited in a seeded order; random draws once the grid is spent.</summary>
    public static ISampler Grid() => new GridSampler();

    /// <summary>Cost-frugal optimisation (FLAML's CFO): local search from each trainer's cheap starting point.</summary>
    public static ISampler Cfo() => new CfoSampler();

    /// <summary>
    /// The tree-structured Parzen estimator (Optuna's default): <paramref name="startupTrials"/> random trials, then
    /// <paramref name="candidates"/> draws from the good trials' density, keeping the one most likely good. Trials that
    /// other workers are running count, by Optuna's constant-liar rule, as finished with the worst loss (or
    /// <paramref name="liarLoss"/>), so that workers proposing at the same time do not propose near-duplicates;
    /// <paramref name="constantLiar"/> false leaves them out, as Optuna does by default.
    /// </summary>
    public static ISampler Tpe(int startupTrials = 10, int candidates = 24, bool constantLiar = true, double? liarLoss = null) =>
        new TpeSampler(startupTrials, candidates, constantLiar, liarLoss);
}
