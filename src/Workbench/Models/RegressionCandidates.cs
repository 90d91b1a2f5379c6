using MLWorkbench.Models.MlNet;
using MLWorkbench.Models.Torch;

namespace MLWorkbench.Models;

/// <summary>
/// The catalog of regression candidates, by name: every ML.NET regression trainer served here and the
/// TorchSharp models. A fresh instance per call, so nothing is shared between runs.
/// </summary>
public static class RegressionCandidates
{
    /// <summary>Every candidate, ML.NET trainers first.</summary>
    public static IReadOnlyList<IRegressionCandidate> All() =>
        [.. MlNetRegressionTrainers.All(), new GradientDescentLinearCandidate(), new MlpCandidate()];

    /// <summary>Names of every candidate, in catalog order.</summary>
    public static IReadOnlyList<string> Names => All().Select(c => c.Name).ToArray();

    /// <summary>The candidate called <paramref name="name"/>, or null.</summary>
    public static IRegressionCandidate? Find(string name) => All().FirstOrDefault(c => c.Name == name);
}
