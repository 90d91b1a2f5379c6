using System.Globalization;
using System.Text.Json;

namespace MLWorkbench.AutoML;

/// <summary>
/// Maps every parameter onto [0, 1], the space the samplers search in: linear or logarithmic for numbers, one
/// equal-width bin per whole number (so that every integer is equally likely), one bin per choice.
/// </summary>
internal static class UnitScale
{
    /// <summary>A value of <paramref name="domain"/> as a unit coordinate; 0.5 when it is missing or unreadable.</summary>
    public static double ToUnit(ParameterDomain domain, object? value)
    {
        double u = domain switch
        {
            FloatDomain f => FloatToUnit(f, AsDouble(value)),
            IntDomain i => IntToUnit(i, AsDouble(value)),
            ChoiceDomain c => ChoiceToUnit(c, value),
            _ => throw new ArgumentException($"Unknown parameter domain {domain.GetType().Name}.", nameof(domain)),
        };
        return double.IsFinite(u) ? Math.Clamp(u, 0, 1) : 0.5;
    }

    /// <summary>The value of <paramref name="domain"/> at unit coordinate <paramref name="u"/> (double, int or string).</summary>
    public static object FromUnit(ParameterDomain domain, double u)
    {
        u = Math.Clamp(u, 0, 1);
        return domain switch
        {
            FloatDomain f => FloatFromUnit(f, u),
            IntDomain i => IntFromUnit(i, u),
            ChoiceDomain c => c.Choices[Math.Min(c.Choices.Count - 1, (int)(u * c.Choices.Count))],
            _ => throw new ArgumentException($"Unknown parameter domain {domain.GetType().Name}.", nameof(domain)),
        };
    }

    /// <summary>A configuration of <paramref name="space"/> as unit coordinates, one per parameter in declared order.</summary>
    public static double[] Encode(SearchSpace space, TrialConfig config) =>
        [.. space.Parameters.Select(p => ToUnit(p, config.Parameters.GetValueOrDefault(p.Name)))];

    /// <summary>The configuration of <paramref name="space"/> at unit coordinates <paramref name="unit"/>.</summary>
    public static TrialConfig Decode(SearchSpace space, IReadOnlyList<double> unit)
    {
        var values = new Dictionary<string, object>(space.Parameters.Count, StringComparer.Ordinal);
        for (int i = 0; i < space.Parameters.Count; i++) values[space.Parameters[i].Name] = FromUnit(space.Parameters[i], unit[i]);
        return new TrialConfig(space.Trainer, values);
    }

    /// <summary>A point drawn uniformly in unit space (log-uniform where the domain says so).</summary>
    public static TrialConfig Sample(SearchSpace space, Random random) =>
        Decode(space, [.. space.Parameters.Select(_ => random.NextDouble())]);

    /// <summary>
    /// The trainer's <see cref="SearchSpace.Initial"/> point with each value converted to its domain's type and range;
    /// a parameter that <see cref="SearchSpace.Initial"/> omits gets the middle of its range.
    /// </summary>
    public static TrialConfig Initial(SearchSpace space)
    {
        var values = new Dictionary<string, object>(space.Parameters.Count, StringComparer.Ordinal);
        foreach (var p in space.Parameters)
            values[p.Name] = space.Initial.TryGetValue(p.Name, out var v) ? Coerce(p, v) : FromUnit(p, 0.5);
        return new TrialConfig(space.Trainer, values);
    }

    /// <summary>
    /// The smallest move in unit space that changes a value: one bin for integers and choices, 1e-4 for reals
    /// (FLAML's lower bound on the step).
    /// </summary>
    public static double Resolution(ParameterDomain domain) => domain switch
    {
        FloatDomain => 1e-4,
        IntDomain i when i.Log && i.Low >= 1 => (Math.Log(i.High + 0.5) - Math.Log(i.High - 0.5)) / (Math.Log(i.High + 0.5) - Math.Log(i.Low - 0.5)),
        IntDomain i => 1.0 / (i.High - (double)i.Low + 1),
        ChoiceDomain c => 1.0 / Math.Max(1, c.Choices.Count),
        _ => 1e-4,
    };

    /// <summary>Converts <paramref name="value"/> to the type and range of <paramref name="domain"/>.</summary>
    public static object Coerce(ParameterDomain domain, object value) => domain switch
    {
        FloatDomain f => double.IsFinite(AsDouble(value)) ? Math.Clamp(AsDouble(value), f.Low, f.High) : FloatFromUnit(f, 0.5),
        IntDomain i => double.IsFinite(AsDouble(value)) ? (int)Math.Clamp(Math.Round(AsDouble(value)), i.Low, i.High) : IntFromUnit(i, 0.5),
        ChoiceDomain c => FromUnit(c, ChoiceToUnit(c, value)),
        _ => value,
    };

    private static bool IsLog(FloatDomain f) => f.Log && f.Low > 0 && f.High > f.Low;

    private static double FloatToUnit(FloatDomain f, double v)
    {
        if (!(f.High > f.Low)) return 0.5;
        return IsLog(f) ? (Math.Log(v) - Math.Log(f.Low)) / (Math.Log(f.High) - Math.Log(f.Low)) : (v - f.Low) / (f.High - f.Low);
    }

    private static double FloatFromUnit(FloatDomain f, double u)
    {
        if (!(f.High > f.Low)) return f.Low;
        double v = IsLog(f) ? Math.Exp(Math.Log(f.Low) + u * (Math.Log(f.High) - Math.Log(f.Low))) : f.Low + u * (f.High - f.Low);
        return Math.Clamp(v, f.Low, f.High);
    }

    // Integers span [Low - 0.5, High + 0.5] (on the log scale when Log), so each has a bin of its own, as in Optuna.
    private static (double Lo, double Hi, bool Log) IntBounds(IntDomain i) =>
        i.Log && i.Low >= 1 ? (Math.Log(i.Low - 0.5), Math.Log(i.High + 0.5), true) : (i.Low - 0.5, i.High + 0.5, false);

    private static double IntToUnit(IntDomain i, double v)
    {
        if (i.High <= i.Low) return 0.5;
        var (lo, hi, log) = IntBounds(i);
        v = Math.Clamp(Math.Round(v), i.Low, i.High);
        return ((log ? Math.Log(v) : v) - lo) / (hi - lo);
    }

    private static int IntFromUnit(IntDomain i, double u)
    {
        if (i.High <= i.Low) return i.Low;
        var (lo, hi, log) = IntBounds(i);
        double x = lo + u * (hi - lo);
        return (int)Math.Clamp(Math.Round(log ? Math.Exp(x) : x, MidpointRounding.AwayFromZero), i.Low, i.High);
    }

    private static double ChoiceToUnit(ChoiceDomain c, object? value)
    {
        string? text = value switch
        {
            null => null,
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            JsonElement e => e.GetRawText(),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
        int index = text is null ? -1 : IndexOf(c.Choices, text);
        return index < 0 ? 0.5 : (index + 0.5) / c.Choices.Count;
    }

    private static int IndexOf(IReadOnlyList<string> choices, string text)
    {
        for (int i = 0; i < choices.Count; i++) if (choices[i] == text) return i;
        return -1;
    }

    // Values come back from storage as long, double, string or JsonElement; all of them are read here.
    private static double AsDouble(object? value) => value switch
    {
        null => double.NaN,
        double d => d,
        int i => i,
        long l => l,
        float f => f,
        decimal m => (double)m,
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
        JsonElement { ValueKind: JsonValueKind.String } e => Parse(e.GetString()),
        string s => Parse(s),
        IConvertible c => c.ToDouble(CultureInfo.InvariantCulture),
        _ => double.NaN,
    };

    private static double Parse(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN;
}
