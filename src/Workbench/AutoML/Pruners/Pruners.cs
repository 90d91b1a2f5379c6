using MLWorkbench.Tasks;

namespace MLWorkbench.AutoML;

/// <summary>The pruners by name, as options and results files spell them.</summary>
public static class Pruners
{
    /// <summary>Every pruner name: <c>median</c>, <c>none</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(["median", "none"]);

    /// <summary>A new pruner called <paramref name="name"/> (case-insensitive), with its default settings.</summary>
    /// <exception cref="WorkbenchInputException">No pruner has that name.</exception>
    public static IPruner Create(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "median" => new MedianPruner(),
        "none" => new NopPruner(),
        _ => throw new WorkbenchInputException($"Unknown pruner '{name}'; use {string.Join(" or ", Names)}."),
    };

    /// <summary>
    /// Stops a trial whose intermediate loss is worse than the median of finished trials at the same step, once
    /// <paramref name="minTrials"/> have finished and after <paramref name="warmupFolds"/> steps.
    /// </summary>
    public static IPruner Median(int minTrials = 5, int warmupFolds = 0) => new MedianPruner(minTrials, warmupFolds);

    /// <summary>Never stops a trial.</summary>
    public static IPruner None() => new NopPruner();
}
