using MLWorkbench.Data;

namespace MLWorkbench.Bundles;

/// <summary>
/// Checks one input row (column name → text) against what the model reads, and encodes it with the training
/// featurizer. Each problem is one sentence naming the column and the value; the row is then not encoded.
/// </summary>
internal sealed class RowEncoder
{
    /// <summary>The longest field accepted, in characters (1 MiB): larger inputs are refused, not truncated.</summary>
    public const int MaxFieldLength = 1 << 20;

    private readonly TabularFeaturizer _featurizer;
    private readonly FeaturizerInput[] _inputs;
    private readonly int _fieldCount;

    public RowEncoder(TabularFeaturizer featurizer)
    {
        _featurizer = featurizer;
        _inputs = featurizer.Inputs.ToArray();
        _fieldCount = _inputs.Max(i => i.Index) + 1;
    }

    /// <summary>Number of features per row.</summary>
    public int Width => _featurizer.FeatureNames.Count;

    /// <summary>Names of the columns a row must have.</summary>
    public IReadOnlyList<string> RequiredColumns => _inputs.Select(i => i.Name).ToArray();

    /// <summary>Encodes <paramref name="row"/> into <paramref name="target"/> (<see cref="Width"/> values); returns the problem, or null.</summary>
    public string? TryEncode(IReadOnlyDictionary<string, string?>? row, Span<float> target)
    {
        if (row is null) return "The row is null.";
        var fields = new string[_fieldCount];
        Array.Fill(fields, "");
        foreach (var input in _inputs)
        {
            if (!row.TryGetValue(input.Name, out var raw))
                return $"Input column '{input.Name}' is missing; the model needs {Needed()}.";
            if (raw is { Length: > MaxFieldLength })
                return $"Column '{input.Name}' holds {raw.Length:N0} characters; the limit is {MaxFieldLength:N0} (1 MiB).";
            var value = raw?.Trim() ?? "";
            if (Check(input, value) is { } problem) return problem;
            fields[input.Index] = value;
        }
        _featurizer.EncodeFeatures(fields, target);
        return null;
    }

    private static string? Check(FeaturizerInput input, string value)
    {
        if (TabularData.IsMissing(value))
            return input.AllowsMissing ? null
                : $"Column '{input.Name}' is missing ('{value}'); the model saw no missing {Noun(input.Kind)} there in training, so give one.";
        return input.Kind switch
        {
            ColumnKind.Numeric when !TabularData.TryParseNumber(value, out _) =>
                $"Column '{input.Name}' needs a finite number, not '{Shorten(value)}'.",
            ColumnKind.Boolean when TabularFeaturizer.ParseBoolean(value) is null =>
                $"Column '{input.Name}' needs true or false (or yes/no), not '{Shorten(value)}'.",
            ColumnKind.DateTime when !TabularFeaturizer.TryParseDate(value, out _) =>
                $"Column '{input.Name}' needs a date such as 2024-05-31 or 2024-05-31T14:30:00, not '{Shorten(value)}'.",
            _ => null,
        };
    }

    private static string Noun(ColumnKind kind) => kind switch
    {
        ColumnKind.Numeric => "numbers",
        ColumnKind.Boolean => "true/false values",
        ColumnKind.DateTime => "dates",
        _ => "values",
    };

    private string Needed() =>
        _inputs.Length <= 12 ? string.Join(", ", _inputs.Select(i => i.Name)) : string.Join(", ", _inputs.Take(12).Select(i => i.Name)) + $" and {_inputs.Length - 12} more";

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
