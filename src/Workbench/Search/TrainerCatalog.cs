using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Models.MlNet;
using MLWorkbench.Bundles;
using MLWorkbench.Tasks;
using MLWorkbench.Models;

namespace MLWorkbench.Search;

/// <summary>
/// Every trainer the workbench offers for tabular tasks: the ML.NET trainers and, when MLWorkbench.Torch is referenced,
/// the TorchSharp models it registers. Immutable; candidates are created fresh per trial.
/// </summary>
internal static class TrainerCatalog
{
    /// <summary>Every trainer, ML.NET first.</summary>
    public static IReadOnlyList<TrainerDefinition<FeatureMatrix>> All { get; } = [.. MlNetTrainers.All, .. ExtensionRegistry.Default.Trainers<FeatureMatrix>()];

    /// <summary>The trainers that serve <paramref name="task"/>.</summary>
    public static IReadOnlyList<TrainerDefinition<FeatureMatrix>> For(TaskKind task) => All.Where(t => t.Tasks.Contains(task)).ToArray();

    /// <summary>The trainer called <paramref name="name"/>, or null.</summary>
    public static TrainerDefinition<FeatureMatrix>? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>Names of the trainers that serve <paramref name="task"/>.</summary>
    public static IReadOnlyList<string> NamesFor(TaskKind task) => For(task).Select(t => t.Name).ToArray();

    /// <summary>The joint search space over the given trainers for a task.</summary>
    public static JointSearchSpace SearchSpace(TaskKind task, IEnumerable<TrainerDefinition<FeatureMatrix>> trainers) =>
        new(trainers.Where(t => t.Tasks.Contains(task)).Select(t => t.Space(task)).ToArray());
}
