using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Tasks;

namespace MLWorkbench.Models;

/// <summary>
/// A trainer the workbench can search, for any task family: the tasks it serves, its search space per task (declared
/// where the trainer is defined, with its cheap starting point and relative cost) and how to make a candidate from a
/// configuration. Parameters missing from a configuration keep the candidate's defaults, so an empty configuration
/// means "the trainer's defaults".
/// </summary>
/// <typeparam name="TData">The data its candidates train on.</typeparam>
/// <param name="Name">Unique name, e.g. <c>lightgbm</c> or <c>cnn</c>.</param>
/// <param name="Family">Where the model comes from.</param>
/// <param name="Tasks">The tasks it can train for.</param>
/// <param name="Space">Its search space for a task.</param>
/// <param name="Create">Makes a candidate for a task from parameter values.</param>
internal sealed record TrainerDefinition<TData>(
    string Name,
    ModelFamily Family,
    IReadOnlySet<TaskKind> Tasks,
    Func<TaskKind, SearchSpace> Space,
    Func<TaskKind, IReadOnlyDictionary<string, object>, ICandidate<TData>> Create) where TData : ILabelledData
{
    /// <summary>A trainer for one task whose search space does not depend on the task.</summary>
    /// <param name="name">Unique name.</param>
    /// <param name="family">Where the model comes from.</param>
    /// <param name="task">The one task it trains for.</param>
    /// <param name="space">Its search space.</param>
    /// <param name="create">Makes a candidate from parameter values.</param>
    public TrainerDefinition(string name, ModelFamily family, TaskKind task, SearchSpace space, Func<IReadOnlyDictionary<string, object>, ICandidate<TData>> create)
        : this(name, family, new HashSet<TaskKind> { task }, _ => space, (_, values) => create(values))
    {
    }

    /// <summary>
    /// False for a trainer a search tries only when it is named (e.g. one whose weight files most machines lack);
    /// comparisons offer every trainer either way.
    /// </summary>
    public bool SearchedByDefault { get; init; } = true;

    /// <summary>A candidate with the trainer's default settings.</summary>
    public ICandidate<TData> CreateDefault(TaskKind task) => Create(task, new Dictionary<string, object>());

    /// <summary>
    /// Picks the trainers called <paramref name="names"/> that serve <paramref name="task"/> (when empty, those of
    /// <paramref name="known"/> searched by default).
    /// </summary>
    /// <exception cref="WorkbenchInputException">A name is not one of <paramref name="known"/>.</exception>
    public static IReadOnlyList<TrainerDefinition<TData>> Select(IReadOnlyList<TrainerDefinition<TData>> known, IReadOnlyList<string> names, TaskKind task) =>
        names.Count == 0 ? known.Where(k => k.SearchedByDefault && k.Tasks.Contains(task)).ToArray() : names.Select(n => known.FirstOrDefault(k => k.Name == n && k.Tasks.Contains(task)) ?? throw new WorkbenchInputException(
            $"Trainer '{n}' cannot be searched for task {task.ToName()}; choose from: {string.Join(", ", known.Where(k => k.Tasks.Contains(task)).Select(k => k.Name))}.")).ToArray();
}

/// <summary>Builds the starting point of a search space.</summary>
internal static class SearchPoint
{
    /// <summary>A configuration from name-value pairs.</summary>
    public static Dictionary<string, object> Of(params (string Name, object Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
}
