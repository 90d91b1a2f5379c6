namespace MLWorkbench.Data;

/// <summary>
/// Turns the string columns of a <see cref="TabularData"/> into a <see cref="FeatureMatrix"/>.
/// Learned from training rows only: numeric columns keep their value (missing values become the training
/// mean, with a missing-indicator column when any are missing); text columns with few distinct values are
/// one-hot encoded (unseen values encode as all zeros); columns that are unique per row or nearly so
/// (identifiers, free text) are dropped, and <see cref="Dropped"/> says why.
/// </summary>
public sealed class TabularFeaturizer
{
    /// <summary>Text columns with more distinct training values than this are not one-hot encoded.</summary>
    public const int MaxCategories = 50;

    private readonly List<ColumnEncoder> _encoders;
    private readonly int _label;

    private TabularFeaturizer(List<ColumnEncoder> encoders, int label, Dictionary<string, string> dropped)
    {
        _encoders = encoders;
        _label = label;
        Dropped = dropped;
        FeatureNames = encoders.SelectMany(e => e.Names).ToArray();
    }

    /// <summary>Names of the produced feature columns.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Source columns left out, with the reason.</summary>
    public IReadOnlyDictionary<string, string> Dropped { get; }

    /// <summary>Source columns that contribute features.</summary>
    public IEnumerable<string> UsedColumns => _encoders.Select(e => e.Column);

    /// <summary>Learns the encoding from <paramref name="trainRows"/> of <paramref name="data"/>.</summary>
    /// <exception cref="WorkbenchInputException">The label is missing, not numeric, or no feature is usable.</exception>
    public static TabularFeaturizer FitRegression(TabularData data, string label, IReadOnlyList<int> trainRows)
    {
        var labelIndex = data.ColumnIndex(label);
        for (var r = 0; r < data.Rows.Count; r++)
        {
            var field = data.Rows[r][labelIndex];
            if (!TabularData.TryParseNumber(field, out _))
                throw new WorkbenchInputException(
                    $"Data file '{data.Path}', line {r + 2}, column '{label}': the regression label '{Shorten(field)}' is not a number.");
        }
        var encoders = new List<ColumnEncoder>();
        var dropped = new Dictionary<string, string>();
        for (var c = 0; c < data.ColumnNames.Count; c++)
        {
            if (c == labelIndex) continue;
            var name = data.ColumnNames[c];
            var values = trainRows.Select(r => data.Rows[r][c]).ToArray();
            var present = values.Where(v => !TabularData.IsMissing(v)).ToArray();
            if (present.Length == 0) { dropped[name] = "all values missing in the training rows"; continue; }
            if (present.All(v => TabularData.TryParseNumber(v, out _)))
            {
                var numbers = present.Select(v => { TabularData.TryParseNumber(v, out var d); return d; }).ToArray();
                if (numbers.Distinct().Count() == 1 && present.Length == values.Length)
                { dropped[name] = "constant in the training rows"; continue; }
                encoders.Add(new NumericEncoder(c, name, numbers.Average(), hasMissing: present.Length < values.Length));
                continue;
            }
            var distinct = present.Distinct().ToArray();
            if (distinct.Length > MaxCategories || distinct.Length > 0.5 * present.Length)
            { dropped[name] = $"text with {distinct.Length} distinct values in {present.Length} training rows (identifier or free text)"; continue; }
            if (distinct.Length == 1 && present.Length == values.Length)
            { dropped[name] = "constant in the training rows"; continue; }
            encoders.Add(new OneHotEncoder(c, name, distinct.Order(StringComparer.Ordinal).ToArray()));
        }
        if (encoders.Count == 0)
            throw new WorkbenchInputException($"Data file '{data.Path}' has no usable feature column besides the label '{label}'.");
        return new TabularFeaturizer(encoders, labelIndex, dropped);
    }

    /// <summary>Encodes the given rows.</summary>
    public FeatureMatrix Transform(TabularData data, IReadOnlyList<int> rows)
    {
        var width = FeatureNames.Count;
        var values = new float[rows.Count * width];
        var labels = new float[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var fields = data.Rows[rows[i]];
            var target = values.AsSpan(i * width, width);
            var offset = 0;
            foreach (var encoder in _encoders)
            {
                encoder.Encode(fields[encoder.Index], target.Slice(offset, encoder.Names.Length));
                offset += encoder.Names.Length;
            }
            TabularData.TryParseNumber(fields[_label], out var y);
            labels[i] = (float)y;
        }
        return new FeatureMatrix(values, labels, FeatureNames);
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private abstract class ColumnEncoder(int index, string column, string[] names)
    {
        public int Index { get; } = index;
        public string Column { get; } = column;
        public string[] Names { get; } = names;
        public abstract void Encode(string field, Span<float> target);
    }

    private sealed class NumericEncoder(int index, string column, double mean, bool hasMissing)
        : ColumnEncoder(index, column, hasMissing ? [column, column + "_missing"] : [column])
    {
        public override void Encode(string field, Span<float> target)
        {
            var missing = !TabularData.TryParseNumber(field, out var value);
            target[0] = (float)(missing ? mean : value);
            if (target.Length > 1) target[1] = missing ? 1f : 0f;
        }
    }

    private sealed class OneHotEncoder(int index, string column, string[] categories)
        : ColumnEncoder(index, column, categories.Select(c => $"{column}={c}").ToArray())
    {
        public override void Encode(string field, Span<float> target)
        {
            target.Clear();
            var at = Array.BinarySearch(categories, field, StringComparer.Ordinal);
            if (at >= 0) target[at] = 1f;
        }
    }
}
