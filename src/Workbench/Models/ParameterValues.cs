using System.Globalization;

namespace MLWorkbench.Models;

/// <summary>
/// Reads a configuration's values with fall-back to the trainer's default, and records what was used, so results
/// show exactly what trained (a missing value is recorded as <c>"default"</c>).
/// </summary>
internal sealed class ParameterValues(IReadOnlyDictionary<string, object> values)
{
    public Dictionary<string, object?> Recorded { get; } = [];

    public int? Int(string name) => Has(name) ? Convert.ToInt32(values[name], CultureInfo.InvariantCulture) : null;
    public float? Float(string name) => Has(name) ? Convert.ToSingle(values[name], CultureInfo.InvariantCulture) : null;
    public double? Double(string name) => Has(name) ? Convert.ToDouble(values[name], CultureInfo.InvariantCulture) : null;
    public string? String(string name) => Has(name) ? Convert.ToString(values[name], CultureInfo.InvariantCulture) : null;

    public T Or<T>(T? value, T fallback, string name) where T : struct
    {
        if (value is { } v) return v;
        Recorded[name] = fallback;
        return fallback;
    }

    private bool Has(string name)
    {
        if (values.TryGetValue(name, out var value))
        {
            Recorded[name] = value;
            return true;
        }
        Recorded[name] = "default";
        return false;
    }
}
