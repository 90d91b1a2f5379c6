using System.Globalization;
using MLWorkbench.Tasks;

namespace MLWorkbench.Data;

/// <summary>
/// Infers each column's kind and turns the string columns of a <see cref="TabularData"/> into a
/// <see cref="FeatureMatrix"/>. Everything is learned from training rows only (means, categories, kinds), so
/// that validation and test rows stay unseen. See <see cref="ColumnKind"/> for how each kind is encoded;
/// <see cref="Columns"/> says what was decided for every column and why.
/// </summary>
internal sealed class TabularFeaturizer
{
    /// <summary>Text columns with at most this many distinct training values are one-hot encoded.</summary>
    public const int MaxOneHot = 50;
    /// <summary>Buckets for hashed categorical columns.</summary>
    public const int CategoryBuckets = 32;
    /// <summary>Buckets for hashed bag-of-words text columns.</summary>
    public const int TextBuckets = 64;

    private readonly List<ColumnEncoder> _encoders;
    private readonly int _label;
    private readonly Dictionary<string, int>? _classIndex;

    private TabularFeaturizer(TaskKind task, List<ColumnEncoder> encoders, int label, IReadOnlyList<string>? classes, List<ColumnDecision> columns)
    {
        Task = task;
        _encoders = encoders;
        _label = label;
        ClassNames = classes;
        _classIndex = classes?.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        Columns = columns;
        FeatureNames = encoders.SelectMany(e => e.Names).ToArray();
    }

    /// <summary>The task the label is encoded for.</summary>
    public TaskKind Task { get; }

    /// <summary>Names of the produced feature columns.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Class names by index (classification), sorted ordinally; null for regression.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The decision for every source column except the label.</summary>
    public IReadOnlyList<ColumnDecision> Columns { get; }

    /// <summary>Source columns left out, with the reason.</summary>
    public IReadOnlyDictionary<string, string> Dropped =>
        Columns.Where(c => c.Kind == ColumnKind.Ignored).ToDictionary(c => c.Name, c => c.Reason);

    /// <summary>Source columns that contribute features.</summary>
    public IEnumerable<string> UsedColumns => _encoders.Select(e => e.Column);

    /// <summary>Learns a regression featurization from <paramref name="trainRows"/>.</summary>
    public static TabularFeaturizer FitRegression(TabularData data, string label, IReadOnlyList<int> trainRows) =>
        Fit(data, label, TaskKind.Regression, trainRows);

    /// <summary>
    /// Checks the label for <paramref name="task"/> over all rows and learns the featurization from
    /// <paramref name="trainRows"/>. <paramref name="overrides"/> sets a column's kind by name
    /// (<see cref="ColumnKind.Ignored"/> drops it).
    /// </summary>
    /// <exception cref="WorkbenchInputException">The label is missing, of the wrong kind or constant, or no feature is usable.</exception>
    public static TabularFeaturizer Fit(TabularData data, string label, TaskKind task, IReadOnlyList<int> trainRows,
        IReadOnlyDictionary<string, ColumnKind>? overrides = null)
    {
        var labelIndex = data.ColumnIndex(label);
        foreach (var name in overrides?.Keys ?? [])
            if (name == label) throw new WorkbenchInputException($"Column '{MessageText.Clip(label)}' is the label and cannot also be given a feature role.");
            else data.ColumnIndex(name);
        var classes = CheckLabel(data, label, labelIndex, task);
        var encoders = new List<ColumnEncoder>();
        var decisions = new List<ColumnDecision>();
        for (var c = 0; c < data.ColumnNames.Count; c++)
        {
            if (c == labelIndex) continue;
            var name = data.ColumnNames[c];
            var values = trainRows.Select(r => data.Rows[r][c]).ToArray();
            ColumnKind? forced = overrides is not null && overrides.TryGetValue(name, out var k) ? k : null;
            var (encoder, decision) = Infer(c, name, values, forced);
            decisions.Add(decision);
            if (encoder is not null) encoders.Add(encoder);
        }
        if (encoders.Count == 0)
            throw new WorkbenchInputException($"Data file '{data.Path}' has no usable feature column besides the label '{MessageText.Clip(label)}'.");
        return new TabularFeaturizer(task, encoders, labelIndex, classes, decisions);
    }

    private static IReadOnlyList<string>? CheckLabel(TabularData data, string label, int index, TaskKind task)
    {
        for (var r = 0; r < data.Rows.Count; r++)
        {
            var field = data.Rows[r][index];
            if (TabularData.IsMissing(field))
                throw new WorkbenchInputException($"Data file '{data.Path}', line {data.LineOf(r)}, column '{MessageText.Clip(label)}': the label is missing; remove the row or fill it in.");
            if (task == TaskKind.Regression && !TabularData.TryParseNumber(field, out _))
                throw new WorkbenchInputException(
                    $"Data file '{data.Path}', line {data.LineOf(r)}, column '{MessageText.Clip(label)}': the regression label '{Shorten(field)}' is not a number.");
        }
        var distinct = data.Rows.Select(row => row[index]).Distinct().ToArray();
        if (distinct.Length == 1)
            throw new WorkbenchInputException($"Label column '{MessageText.Clip(label)}' of '{data.Path}' has the same value '{Shorten(distinct[0])}' in every row; there is nothing to learn.");
        if (task == TaskKind.Regression) return null;
        if (task == TaskKind.BinaryClassification && distinct.Length != 2)
            throw new WorkbenchInputException(
                $"Label column '{MessageText.Clip(label)}' of '{data.Path}' has {distinct.Length} classes; a binary task needs exactly 2 (use task multiclass).");
        return distinct.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Encodes the given rows.</summary>
    /// <exception cref="WorkbenchInputException">A classification label is not one of the known classes.</exception>
    public FeatureMatrix Transform(TabularData data, IReadOnlyList<int> rows)
    {
        var width = FeatureNames.Count;
        var values = new float[rows.Count * width];
        var labels = new float[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var fields = data.Rows[rows[i]];
            EncodeFeatures(fields, values.AsSpan(i * width, width));
            labels[i] = EncodeLabel(fields[_label], data, rows[i]);
        }
        return new FeatureMatrix(values, labels, FeatureNames, ClassNames);
    }

    /// <summary>Encodes the features of one row of source fields (in the data file's column order).</summary>
    public void EncodeFeatures(IReadOnlyList<string> fields, Span<float> target)
    {
        var offset = 0;
        foreach (var encoder in _encoders)
        {
            encoder.Encode(fields[encoder.Index], target.Slice(offset, encoder.Names.Length));
            offset += encoder.Names.Length;
        }
    }

    /// <summary>The source columns the encoders read, with their position in a row of fields and whether a missing value is allowed.</summary>
    internal IReadOnlyList<FeaturizerInput> Inputs => _encoders.Select(e => new FeaturizerInput(e.Column, e.Index, e.Kind, e.AllowsMissing)).ToArray();

    /// <summary>Everything learned from the training rows, as plain data (what a model bundle stores).</summary>
    internal FeaturizerState ToState() => new(Task, _label, ClassNames?.ToArray(), Columns.ToArray(), _encoders.Select(e => e.ToState()).ToArray(), FeatureNames.ToArray());

    /// <summary>Rebuilds a featurizer from <see cref="ToState"/>.</summary>
    /// <exception cref="InvalidDataException">The state is inconsistent (an unknown encoder, or features that no longer match).</exception>
    internal static TabularFeaturizer FromState(FeaturizerState state)
    {
        var encoders = state.Encoders.Select(ColumnEncoder.FromState).ToList();
        var featurizer = new TabularFeaturizer(state.Task, encoders, state.LabelIndex, state.ClassNames, state.Columns.ToList());
        if (!featurizer.FeatureNames.SequenceEqual(state.FeatureNames))
            throw new InvalidDataException("the stored encoders no longer produce the stored feature names");
        return featurizer;
    }

    private float EncodeLabel(string field, TabularData data, int row)
    {
        if (_classIndex is null)
        {
            TabularData.TryParseNumber(field, out var y);
            return (float)y;
        }
        return _classIndex.TryGetValue(field, out var index) ? index
            : throw new WorkbenchInputException($"Data file '{data.Path}', line {data.LineOf(row)}: label '{Shorten(field)}' is not one of the training classes ({MessageText.List(ClassNames!)}).");
    }

    private static (ColumnEncoder?, ColumnDecision) Infer(int index, string name, string[] values, ColumnKind? forced)
    {
        ColumnDecision Drop(string reason) => new(name, ColumnKind.Ignored, reason);
        if (forced == ColumnKind.Ignored) return (null, Drop("ignored by the user"));
        var present = values.Where(v => !TabularData.IsMissing(v)).ToArray();
        if (present.Length == 0) return (null, Drop("all values missing in the training rows"));
        var hasMissing = present.Length < values.Length;
        var distinct = present.Distinct().ToArray();
        if (forced is null && distinct.Length == 1 && !hasMissing) return (null, Drop("constant in the training rows"));
        var missingNote = hasMissing ? $", {values.Length - present.Length} missing filled" : "";

        var numeric = present.All(v => TabularData.TryParseNumber(v, out _));
        if (forced is null or ColumnKind.Numeric && numeric)
        {
            var numbers = present.Select(v => { TabularData.TryParseNumber(v, out var d); return d; }).ToArray();
            if (forced is null && LooksLikeIdentifier(name, numbers))
                return (null, Drop("identifier: a distinct whole number in every row"));
            return (new NumericEncoder(index, name, numbers.Average(), hasMissing), new(name, ColumnKind.Numeric, "numbers" + missingNote));
        }
        if (forced is null or ColumnKind.Boolean && distinct.Length <= 2 && distinct.All(v => ParseBoolean(v) is not null))
            return (new BooleanEncoder(index, name, hasMissing), new(name, ColumnKind.Boolean, "two values (true/false)" + missingNote));
        if (forced is null or ColumnKind.DateTime && !numeric && present.All(v => TryParseDate(v, out _)))
        {
            var withTime = present.Any(v => TryParseDate(v, out var d) && d.TimeOfDay != TimeSpan.Zero);
            return (new DateEncoder(index, name, withTime, hasMissing), new(name, ColumnKind.DateTime, "dates" + (withTime ? " and times" : "") + missingNote));
        }
        var words = present.Average(v => v.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        if (forced is ColumnKind.Text || (forced is null && distinct.Length > MaxOneHot && words >= 3))
            return (new TextEncoder(index, name), new(name, ColumnKind.Text, $"free text ({words:0.0} words on average), hashed bag of words"));
        if (forced is null && distinct.Length > 0.9 * present.Length && present.Length >= 20)
            return (null, Drop($"identifier-like: {distinct.Length} distinct values in {present.Length} training rows"));
        if (distinct.Length <= MaxOneHot)
            return (new OneHotEncoder(index, name, distinct.Order(StringComparer.Ordinal).ToArray()),
                new(name, ColumnKind.Categorical, $"{distinct.Length} categories, one-hot"));
        return (new HashedCategoryEncoder(index, name), new(name, ColumnKind.Categorical, $"{distinct.Length} categories, hashed into {CategoryBuckets} buckets"));
    }

    private static bool LooksLikeIdentifier(string name, double[] numbers)
    {
        var lower = name.ToLowerInvariant();
        var idName = lower == "id" || lower.EndsWith("_id", StringComparison.Ordinal) || lower.EndsWith(" id", StringComparison.Ordinal) || name.EndsWith("Id", StringComparison.Ordinal);
        return idName && numbers.All(n => n == Math.Floor(n)) && numbers.Distinct().Count() == numbers.Length;
    }

    internal static bool? ParseBoolean(string v) => v.Trim().ToLowerInvariant() switch
    {
        "true" or "yes" or "y" or "t" => true,
        "false" or "no" or "n" or "f" => false,
        _ => null,
    };

    private static readonly string[] DateFormats =
        ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm", "yyyy/MM/dd", "MM/dd/yyyy", "dd.MM.yyyy"];

    internal static bool TryParseDate(string v, out DateTime date) =>
        DateTime.TryParseExact(v.Trim(), DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out date);

    private static string Shorten(string s) => MessageText.Clip(s, 41);

    /// <summary>FNV-1a: a hash that is the same in every process (string.GetHashCode is not).</summary>
    internal static uint StableHash(ReadOnlySpan<char> text)
    {
        var hash = 2166136261u;
        foreach (var ch in text) { hash ^= ch; hash *= 16777619u; }
        return hash;
    }

    private abstract class ColumnEncoder(int index, string column, string[] names)
    {
        public int Index { get; } = index;
        public string Column { get; } = column;
        public string[] Names { get; } = names;
        public abstract ColumnKind Kind { get; }
        /// <summary>True when a missing value is encoded as such (an indicator, or all zeros for categories and text).</summary>
        public abstract bool AllowsMissing { get; }
        public abstract void Encode(string field, Span<float> target);
        public abstract EncoderState ToState();

        public static ColumnEncoder FromState(EncoderState s) => s.Type switch
        {
            "numeric" => new NumericEncoder(s.Index, s.Column, s.Mean ?? 0, s.HasMissing),
            "boolean" => new BooleanEncoder(s.Index, s.Column, s.HasMissing),
            "date" => new DateEncoder(s.Index, s.Column, s.WithTime, s.HasMissing),
            "one-hot" => new OneHotEncoder(s.Index, s.Column, s.Categories ?? []),
            "hashed" => new HashedCategoryEncoder(s.Index, s.Column),
            "text" => new TextEncoder(s.Index, s.Column),
            _ => throw new InvalidDataException($"unknown encoder '{s.Type}' for column '{s.Column}'"),
        };
        protected static string[] WithMissing(string column, bool hasMissing, params string[] names) =>
            hasMissing ? [.. names, column + "_missing"] : names;
    }

    private sealed class NumericEncoder(int index, string column, double mean, bool hasMissing)
        : ColumnEncoder(index, column, WithMissing(column, hasMissing, column))
    {
        public override ColumnKind Kind => ColumnKind.Numeric;
        public override bool AllowsMissing => hasMissing;
        public override EncoderState ToState() => new("numeric", Index, Column, Mean: mean, HasMissing: hasMissing);
        public override void Encode(string field, Span<float> target)
        {
            var missing = !TabularData.TryParseNumber(field, out var value);
            target[0] = (float)(missing ? mean : value);
            if (target.Length > 1) target[1] = missing ? 1f : 0f;
        }
    }

    private sealed class BooleanEncoder(int index, string column, bool hasMissing)
        : ColumnEncoder(index, column, WithMissing(column, hasMissing, column))
    {
        public override ColumnKind Kind => ColumnKind.Boolean;
        public override bool AllowsMissing => hasMissing;
        public override EncoderState ToState() => new("boolean", Index, Column, HasMissing: hasMissing);
        public override void Encode(string field, Span<float> target)
        {
            var value = ParseBoolean(field);
            target[0] = value == true ? 1f : 0f;
            if (target.Length > 1) target[1] = value is null ? 1f : 0f;
        }
    }

    private sealed class DateEncoder(int index, string column, bool withTime, bool hasMissing)
        : ColumnEncoder(index, column, WithMissing(column, hasMissing,
            withTime ? [$"{column}.year", $"{column}.month", $"{column}.day", $"{column}.dayOfWeek", $"{column}.hour"]
                     : [$"{column}.year", $"{column}.month", $"{column}.day", $"{column}.dayOfWeek"]))
    {
        public override ColumnKind Kind => ColumnKind.DateTime;
        public override bool AllowsMissing => hasMissing;
        public override EncoderState ToState() => new("date", Index, Column, HasMissing: hasMissing, WithTime: withTime);
        public override void Encode(string field, Span<float> target)
        {
            target.Clear();
            var parts = withTime ? 5 : 4;
            if (!TryParseDate(field, out var d))
            {
                if (target.Length > parts) target[parts] = 1f;
                return;
            }
            target[0] = d.Year; target[1] = d.Month; target[2] = d.Day; target[3] = (int)d.DayOfWeek;
            if (withTime) target[4] = d.Hour + d.Minute / 60f;
        }
    }

    private sealed class OneHotEncoder(int index, string column, string[] categories)
        : ColumnEncoder(index, column, categories.Select(c => $"{column}={c}").ToArray())
    {
        public override ColumnKind Kind => ColumnKind.Categorical;
        public override bool AllowsMissing => true;
        public override EncoderState ToState() => new("one-hot", Index, Column, Categories: categories);
        public override void Encode(string field, Span<float> target)
        {
            target.Clear();
            var at = Array.BinarySearch(categories, field, StringComparer.Ordinal);
            if (at >= 0) target[at] = 1f;
        }
    }

    private sealed class HashedCategoryEncoder(int index, string column)
        : ColumnEncoder(index, column, Enumerable.Range(0, CategoryBuckets).Select(b => $"{column}#{b}").ToArray())
    {
        public override ColumnKind Kind => ColumnKind.Categorical;
        public override bool AllowsMissing => true;
        public override EncoderState ToState() => new("hashed", Index, Column);
        public override void Encode(string field, Span<float> target)
        {
            target.Clear();
            if (!TabularData.IsMissing(field)) target[(int)(StableHash(field) % CategoryBuckets)] = 1f;
        }
    }

    private sealed class TextEncoder(int index, string column)
        : ColumnEncoder(index, column, Enumerable.Range(0, TextBuckets).Select(b => $"{column}~{b}").ToArray())
    {
        public override ColumnKind Kind => ColumnKind.Text;
        public override bool AllowsMissing => true;
        public override EncoderState ToState() => new("text", Index, Column);
        public override void Encode(string field, Span<float> target)
        {
            target.Clear();
            var words = field.ToLowerInvariant().Split([' ', '\t', ',', '.', ';', ':', '!', '?', '"', '(', ')'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) return;
            foreach (var word in words) target[(int)(StableHash(word) % TextBuckets)] += 1f;
            // Length-normalized counts keep long and short texts on one scale.
            var norm = MathF.Sqrt(words.Length);
            for (var i = 0; i < target.Length; i++) target[i] /= norm;
        }
    }
}

/// <summary>What the featurizer decided for one source column.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="Kind">How it is encoded, or <see cref="ColumnKind.Ignored"/>.</param>
/// <param name="Reason">Why, in words for the report.</param>
internal sealed record ColumnDecision(string Name, ColumnKind Kind, string Reason);

/// <summary>A source column an encoder reads: its position in a row of fields, its kind, and whether it may be missing.</summary>
internal sealed record FeaturizerInput(string Name, int Index, ColumnKind Kind, bool AllowsMissing);

/// <summary>What a <see cref="TabularFeaturizer"/> learned, as plain data for JSON.</summary>
internal sealed record FeaturizerState(
    TaskKind Task, int LabelIndex, string[]? ClassNames, ColumnDecision[] Columns, EncoderState[] Encoders, string[] FeatureNames);

/// <summary>One column encoder as plain data; only the fields its <see cref="Type"/> uses are set.</summary>
internal sealed record EncoderState(
    string Type, int Index, string Column, double? Mean = null, bool HasMissing = false, bool WithTime = false, string[]? Categories = null);
