using System.Globalization;
using System.Reflection;
using System.Text.Json.Serialization;
using MLWorkbench.Tasks;
using MLWorkbench.Bundles;

namespace MLWorkbench.Serving;

/// <summary>Reads a typed input object as a row of column texts: one public property per column, by name ignoring case.</summary>
internal sealed class TypedInput
{
    private readonly (string Column, PropertyInfo Property)[] _properties;

    public TypedInput(Type type, IReadOnlyList<ModelInput> columns)
    {
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var column in columns) byName.TryAdd(column.Name, column.Name);
        _properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .Select(p => (Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? p.Name, Property: p))
            .Where(p => byName.ContainsKey(p.Name))
            .Select(p => (byName[p.Name], p.Property))
            .ToArray();
    }

    public IReadOnlyDictionary<string, string?> ToRow(object input)
    {
        var row = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (column, property) in _properties) row[column] = Format(property.GetValue(input));
        return row;
    }

    private static string? Format(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        DateTime d => d.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}

/// <summary>Fills a typed output object from a <see cref="Prediction"/> by the property names documented on <see cref="WorkbenchModel"/>.</summary>
internal sealed class TypedOutput
{
    private readonly List<Action<object, Prediction, IReadOnlyList<string>?>> _setters = [];

    public TypedOutput(Type type, TaskKind task)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        PropertyInfo? Find(string name) => properties.TryGetValue(name, out var p) ? p : null;

        if (!task.IsClassification())
        {
            foreach (var name in new[] { "Value", "Score" })
                if (Find(name) is { } p && Number(p.PropertyType) is { } convert)
                    _setters.Add((o, prediction, _) => p.SetValue(o, convert(prediction.Value!.Value)));
        }
        else
        {
            if (Find("PredictedLabel") is { } label && label.PropertyType == typeof(string))
                _setters.Add((o, prediction, _) => label.SetValue(o, prediction.PredictedLabel));
            if (Find("Probability") is { } probability && Number(probability.PropertyType) is { } convert)
                _setters.Add((o, prediction, _) => probability.SetValue(o, convert(prediction.Probability!.Value)));
            if (Find("Probabilities") is { } all && Probabilities(all.PropertyType) is { } make)
                _setters.Add((o, prediction, classes) => all.SetValue(o, make(prediction, classes!)));
        }
        if (_setters.Count == 0)
            throw new InvalidOperationException(!task.IsClassification()
                ? $"Type {type.Name} has no settable Value or Score property (float or double) for the regression model to fill."
                : $"Type {type.Name} has no settable PredictedLabel (string), Probability (float or double) or Probabilities (dictionary or array) property for the classifier to fill.");
    }

    public void Fill(object target, Prediction prediction, IReadOnlyList<string>? classes)
    {
        foreach (var set in _setters) set(target, prediction, classes);
    }

    private static Func<float, object>? Number(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(float)) return v => v;
        if (t == typeof(double)) return v => (double)v;
        if (t == typeof(decimal)) return v => (decimal)v;
        return null;
    }

    private static Func<Prediction, IReadOnlyList<string>, object>? Probabilities(Type type)
    {
        if (type.IsAssignableFrom(typeof(Dictionary<string, float>)))
            return (p, _) => new Dictionary<string, float>(p.Probabilities!);
        if (type.IsAssignableFrom(typeof(Dictionary<string, double>)))
            return (p, _) => p.Probabilities!.ToDictionary(kv => kv.Key, kv => (double)kv.Value);
        if (type.IsAssignableFrom(typeof(float[])))
            return (p, classes) => classes.Select(c => p.Probabilities![c]).ToArray();
        if (type.IsAssignableFrom(typeof(double[])))
            return (p, classes) => classes.Select(c => (double)p.Probabilities![c]).ToArray();
        return null;
    }
}
