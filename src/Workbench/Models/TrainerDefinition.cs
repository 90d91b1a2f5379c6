using MLWorkbench.AutoML;
using MLWorkbench.Tasks;

namespace MLWorkbench.Models;

/// <summary>
/// A trainer the workbench can search: the tasks it serves, its search space per task (declared where the
/// trainer is defined) and how to make a candidate from a configuration. Parameters missing from a
/// configuration take the library's own default, so an empty configuration means "the trainer's defaults".
/// </summary>
/// <param name="Name">Unique name, e.g. <c>lightgbm</c>.</param>
/// <param name="Family">Where the model comes from.</param>
/// <param name="Tasks">The tasks it can train for.</param>
/// <param name="Space">Its search space for a task.</param>
/// <param name="Create">Makes a candidate for a task from parameter values.</param>
public sealed record TrainerDefinition(
    string Name,
    ModelFamily Family,
    IReadOnlySet<TaskKind> Tasks,
    Func<TaskKind, SearchSpace> Space,
    Func<TaskKind, IReadOnlyDictionary<string, object>, ICandidate> Create)
{
    /// <summary>A candidate with the trainer's default settings.</summary>
    public ICandidate CreateDefault(TaskKind task) => Create(task, new Dictionary<string, object>());
}
