using MLWorkbench.AutoML;

namespace MLWorkbench.Models;

/// <summary>
/// A trainer over examples (images, texts, sentence pairs) that AutoML can search: its search space, declared where
/// the candidates are defined, and how to make a candidate from a configuration. The counterpart of the tabular
/// <see cref="TrainerDefinition"/>. Parameters missing from a configuration keep the candidate's defaults.
/// </summary>
/// <typeparam name="TData">The kind of examples.</typeparam>
/// <param name="Name">The candidate's name, e.g. <c>cnn</c>.</param>
/// <param name="Family">Where the model comes from.</param>
/// <param name="Space">Its search space, with a cheap starting point.</param>
/// <param name="Create">Makes a candidate from parameter values.</param>
public sealed record ExampleTrainer<TData>(
    string Name,
    ModelFamily Family,
    SearchSpace Space,
    Func<IReadOnlyDictionary<string, object>, IExampleCandidate<TData>> Create) where TData : ILabelledData
{
    /// <summary>Picks the trainers called <paramref name="names"/> (all of <paramref name="known"/> when empty).</summary>
    /// <exception cref="WorkbenchInputException">A name is not one of <paramref name="known"/>.</exception>
    public static IReadOnlyList<ExampleTrainer<TData>> Select(IReadOnlyList<ExampleTrainer<TData>> known, IReadOnlyList<string> names, string task) =>
        names.Count == 0 ? known : names.Select(n => known.FirstOrDefault(k => k.Name == n) ?? throw new WorkbenchInputException(
            $"Trainer '{n}' cannot be searched for task {task}; choose from: {string.Join(", ", known.Select(k => k.Name))}.")).ToArray();
}

/// <summary>Builds the starting point of a search space.</summary>
internal static class SearchPoint
{
    /// <summary>A configuration from name-value pairs.</summary>
    public static Dictionary<string, object> Of(params (string Name, object Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
}
