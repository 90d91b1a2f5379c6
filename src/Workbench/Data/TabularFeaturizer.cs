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
    /// <summary>
    /// Text columns with at most this many distinct training values are one-hot encoded; above it (and not free text)
    /// they are target encoded (<see cref="TargetEncodingFolds"/>).
    /// </summary>
    public const int MaxOneHot = 50;
    /// <summary>Buckets of the hashed categorical encoding that bundles written before target encoding hold.</summary>
    public const int CategoryBuckets = 32;
    /// <summary>
    /// The featurizer's own training rows are split into this many parts for target encoding: a training row's
    /// category statistics come from the other parts, so that its own label never encodes its own features.
    /// </summary>
    public const int TargetEncodingFolds = 5;
    /// <summary>Buckets for hashed bag-of-words text columns.</summary>
    public const int TextBuckets = 64;

    private readonly List<ColumnEncoder> _encoders;
    private readonly int _label;
    private readonly Dictionary<string, int>? _classIndex;
    // The data the featurizer was fit on and, per row of it, the target-encoding part of a training row (-1: not one):
    // rows of that data among its training rows are encoded out of fold. Null after FromState and without target encoders.
    private readonly TabularData? _fitData;
    private readonly int[]? _fitParts;

    private TabularFeaturizer(TaskKind task, List<ColumnEncoder> encoders, int label, IReadOnlyList<string>? classes, List<ColumnDecision> columns,
        TabularData? fitData = null, int[]? fitParts = null)
    {
        _fitData = fitData;
        _fitParts = fitParts;
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
    /// (<see cref="ColumnKind.Ignored"/> drops it). Categorical columns with more than <see cref="MaxOneHot"/> values are
    /// target encoded from the training rows' labels: <see cref="Transform"/> encodes those same rows of
    /// <paramref name="data"/> out of fold (<see cref="TargetEncodingFolds"/>), every other row with all training rows' statistics.
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
        var targets = new TargetRows(TargetsOf(data, labelIndex, trainRows, classes), trainRows.Select(PartOf).ToArray(), classes);
        var encoders = new List<ColumnEncoder>();
        var decisions = new List<ColumnDecision>();
        for (var c = 0; c < data.ColumnNames.Count; c++)
        {
            if (c == labelIndex) continue;
            var name = data.ColumnNames[c];
            var values = trainRows.Select(r => data.Rows[r][c]).ToArray();
            ColumnKind? forced = overrides is not null && overrides.TryGetValue(name, out var k) ? k : null;
            var (encoder, decision) = Infer(c, name, values, forced, targets);
            decisions.Add(decision);
            if (encoder is not null) encoders.Add(encoder);
        }
        if (encoders.Count == 0)
            throw new WorkbenchInputException($"Data file '{data.Path}' has no usable feature column besides the label '{MessageText.Clip(label)}'.");
        int[]? parts = null;
        if (encoders.Any(e => e is TargetEncoder))
        {
            parts = new int[data.Rows.Count];
            Array.Fill(parts, -1);
            foreach (var r in trainRows) parts[r] = PartOf(r);
        }
        return new TabularFeaturizer(task, encoders, labelIndex, classes, decisions, parts is null ? null : data, parts);
    }

    // The target-encoding part of a training row, from its row number alone (mixed, as rows may come sorted by a
    // category), so that every featurizer fit on the same data agrees.
    private static int PartOf(int row)
    {
        var x = (ulong)row + 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return (int)((x ^ (x >> 31)) % TargetEncodingFolds);
    }

    // Each training row's label as the target encodings' outputs: the value (regression), or one indicator per class
    // (a binary label: the second class's only).
    private static double[][] TargetsOf(TabularData data, int labelIndex, IReadOnlyList<int> trainRows, IReadOnlyList<string>? classes)
    {
        if (classes is null)
            return [.. trainRows.Select(r => { TabularData.TryParseNumber(data.Rows[r][labelIndex], out var y); return new[] { y }; })];
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        return [.. trainRows.Select(r =>
        {
            var k = index[data.Rows[r][labelIndex]];
            return classes.Count == 2 ? [k == 1 ? 1.0 : 0.0] : classes.Select((_, i) => i == k ? 1.0 : 0.0).ToArray();
        })];
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
    /// <remarks>
    /// Rows of the data this featurizer was fit on that are among its training rows get out-of-fold target encodings
    /// (their own labels never encode their features); every other row, like <see cref="EncodeFeatures"/>, gets the
    /// statistics of all training rows.
    /// </remarks>
    public FeatureMatrix Transform(TabularData data, IReadOnlyList<int> rows)
    {
        var width = FeatureNames.Count;
        var values = new float[rows.Count * width];
        var labels = new float[rows.Count];
        var parts = ReferenceEquals(data, _fitData) ? _fitParts : null;
        for (var i = 0; i < rows.Count; i++)
        {
            var fields = data.Rows[rows[i]];
            EncodeRow(fields, values.AsSpan(i * width, width), parts?[rows[i]] ?? -1);
            labels[i] = EncodeLabel(fields[_label], data, rows[i]);
        }
        return new FeatureMatrix(values, labels, FeatureNames, ClassNames);
    }

    /// <summary>Encodes the features of one row of source fields (in the data file's column order).</summary>
    public void EncodeFeatures(IReadOnlyList<string> fields, Span<float> target) => EncodeRow(fields, target, -1);

    // part ≥ 0: a training row of that target-encoding part, encoded without that part's rows.
    private void EncodeRow(IReadOnlyList<string> fields, Span<float> target, int part)
    {
        var offset = 0;
        foreach (var encoder in _encoders)
        {
            var slice = target.Slice(offset, encoder.Names.Length);
            if (part >= 0 && encoder is TargetEncoder te) te.EncodeOutOfFold(fields[encoder.Index], slice, part);
            else encoder.Encode(fields[encoder.Index], slice);
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

    private static (ColumnEncoder?, ColumnDecision) Infer(int index, string name, string[] values, ColumnKind? forced, TargetRows targets)
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
        // Too many categories to one-hot (students, lecturers, zip codes): each is replaced by its training rows' shrunk
        // mean label (per class for classifiers) and its count, which keeps every category apart where hashing into a few
        // buckets would merge dozens (issue 15: InstEval's 2,900 students in 32 buckets).
        var encoder = TargetEncoder.Fit(index, name, values, targets);
        return (encoder, new(name, ColumnKind.Categorical, $"{distinct.Length} categories, target encoded ({encoder.Describe()}) and counted"));
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
            "target" => TargetEncoder.Restore(s),
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

    /// <summary>The training rows' labels as target-encoding outputs, with each row's part, in training-row order.</summary>
    private sealed record TargetRows(double[][] Outputs, int[] Parts, IReadOnlyList<string>? Classes);

    /// <summary>
    /// A categorical column of many values, encoded as each category's mean label (regression) or class shares
    /// (classification), shrunk towards the training mean by empirical Bayes (the one-way random-effects estimate of
    /// within- against between-category variance: a category of few rows says little), and the category's training
    /// row count. Unseen and missing values get the training mean and a count of 0. Training rows of the fit are encoded
    /// out of fold: each part's statistics leave that part's rows out.
    /// </summary>
    private sealed class TargetEncoder : ColumnEncoder
    {
        private readonly string[] _categories;
        private readonly int[] _counts;
        private readonly double[] _encoded;       // categories × outputs, from every training row
        private readonly double[] _prior;         // outputs: the training mean
        private readonly double[] _smoothing;     // outputs: pseudo-rows of the mean added to each category (∞: no signal)
        private readonly double[]? _partEncoded;  // parts × categories × outputs, each without its part's rows (fit only)
        private readonly double[]? _partPrior;    // parts × outputs
        private readonly string[] _outputs;

        private TargetEncoder(int index, string column, string[] outputs, string[] categories, int[] counts, double[] encoded, double[] prior,
            double[] smoothing, double[]? partEncoded, double[]? partPrior)
            : base(index, column, [.. outputs.Select(o => $"{column}.{o}"), $"{column}.count"])
        {
            (_outputs, _categories, _counts, _encoded, _prior, _smoothing, _partEncoded, _partPrior) =
                (outputs, categories, counts, encoded, prior, smoothing, partEncoded, partPrior);
        }

        public override ColumnKind Kind => ColumnKind.Categorical;
        public override bool AllowsMissing => true;

        public string Describe() =>
            string.Join(", ", _outputs.Select((o, j) => $"{o} shrunk by {(double.IsPositiveInfinity(_smoothing[j]) ? "all (no signal)" : _smoothing[j].ToString("0.#", CultureInfo.InvariantCulture) + " rows")}"));

        public static TargetEncoder Fit(int index, string column, string[] values, TargetRows targets)
        {
            var outputs = targets.Classes is null ? ["mean"]
                : targets.Classes.Count == 2 ? [$"p[{targets.Classes[1]}]"] : targets.Classes.Select(c => $"p[{c}]").ToArray();
            var width = outputs.Length;
            var categories = values.Where(v => !TabularData.IsMissing(v)).Distinct().Order(StringComparer.Ordinal).ToArray();
            var at = categories.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
            var k = TargetEncodingFolds;
            // Per part: rows, label sums and squared sums of each category; the whole is their sum.
            var partCount = new int[k * categories.Length];
            var partSum = new double[k * categories.Length * width];
            var partSquares = new double[k * categories.Length * width];
            var partRows = new int[k];
            var partTotal = new double[k * width];
            for (var r = 0; r < values.Length; r++)
            {
                var p = targets.Parts[r];
                var y = targets.Outputs[r];
                partRows[p]++;
                for (var j = 0; j < width; j++) partTotal[p * width + j] += y[j];
                if (!at.TryGetValue(values[r], out var c)) continue;
                partCount[p * categories.Length + c]++;
                for (var j = 0; j < width; j++)
                {
                    partSum[(p * categories.Length + c) * width + j] += y[j];
                    partSquares[(p * categories.Length + c) * width + j] += y[j] * y[j];
                }
            }
            var counts = new int[categories.Length];
            var sum = new double[categories.Length * width];
            var squares = new double[categories.Length * width];
            for (var p = 0; p < k; p++)
                for (var c = 0; c < categories.Length; c++)
                {
                    counts[c] += partCount[p * categories.Length + c];
                    for (var j = 0; j < width; j++)
                    {
                        sum[c * width + j] += partSum[(p * categories.Length + c) * width + j];
                        squares[c * width + j] += partSquares[(p * categories.Length + c) * width + j];
                    }
                }
            var rows = partRows.Sum();
            var prior = Enumerable.Range(0, width).Select(j => Enumerable.Range(0, k).Sum(p => partTotal[p * width + j]) / Math.Max(1, rows)).ToArray();
            var smoothing = Enumerable.Range(0, width).Select(j => Smoothing(counts, sum, squares, width, j)).ToArray();
            var encoded = Encode(counts, sum, prior, smoothing, width);
            var partEncoded = new double[k * categories.Length * width];
            var partPrior = new double[k * width];
            for (var p = 0; p < k; p++)
            {
                var outCounts = new int[categories.Length];
                var outSum = new double[categories.Length * width];
                for (var c = 0; c < categories.Length; c++)
                {
                    outCounts[c] = counts[c] - partCount[p * categories.Length + c];
                    for (var j = 0; j < width; j++) outSum[c * width + j] = sum[c * width + j] - partSum[(p * categories.Length + c) * width + j];
                }
                var outRows = rows - partRows[p];
                var outPrior = Enumerable.Range(0, width)
                    .Select(j => outRows > 0 ? (prior[j] * rows - partTotal[p * width + j]) / outRows : prior[j]).ToArray();
                Array.Copy(outPrior, 0, partPrior, p * width, width);
                Array.Copy(Encode(outCounts, outSum, outPrior, smoothing, width), 0, partEncoded, p * categories.Length * width, categories.Length * width);
            }
            return new TargetEncoder(index, column, outputs, categories, counts, encoded, prior, smoothing, partEncoded, partPrior);
        }

        // The one-way random-effects (ANOVA) estimate: within-category variance σ² over between-category variance τ²,
        // the rows of prior a category's mean is worth; ∞ when the categories' means differ no more than chance makes them.
        private static double Smoothing(int[] counts, double[] sum, double[] squares, int width, int j)
        {
            var groups = counts.Count(n => n > 0);
            var rows = (double)counts.Sum();
            if (groups < 2 || rows <= groups) return double.PositiveInfinity;
            double within = 0, total = 0;
            for (var c = 0; c < counts.Length; c++)
                if (counts[c] > 0)
                {
                    within += squares[c * width + j] - sum[c * width + j] * sum[c * width + j] / counts[c];
                    total += sum[c * width + j];
                }
            var mean = total / rows;
            double between = 0, squaredCounts = 0;
            for (var c = 0; c < counts.Length; c++)
                if (counts[c] > 0)
                {
                    var d = sum[c * width + j] / counts[c] - mean;
                    between += counts[c] * d * d;
                    squaredCounts += (double)counts[c] * counts[c];
                }
            var sigma2 = Math.Max(0, within) / (rows - groups);
            var n0 = (rows - squaredCounts / rows) / (groups - 1);
            var tau2 = (between / (groups - 1) - sigma2) / n0;
            return tau2 <= 0 ? double.PositiveInfinity : sigma2 / tau2;
        }

        private static double[] Encode(int[] counts, double[] sum, double[] prior, double[] smoothing, int width)
        {
            var encoded = new double[counts.Length * width];
            for (var c = 0; c < counts.Length; c++)
                for (var j = 0; j < width; j++)
                    encoded[c * width + j] = double.IsPositiveInfinity(smoothing[j]) || counts[c] + smoothing[j] <= 0 ? prior[j]
                        : (sum[c * width + j] + smoothing[j] * prior[j]) / (counts[c] + smoothing[j]);
            return encoded;
        }

        public override void Encode(string field, Span<float> target) => Write(field, target, _encoded, _prior, 0);

        /// <summary>Encodes a training row of <paramref name="part"/> with statistics that leave that part's rows out.</summary>
        public void EncodeOutOfFold(string field, Span<float> target, int part)
        {
            if (_partEncoded is null || _partPrior is null) { Encode(field, target); return; }
            Write(field, target, _partEncoded, _partPrior, part);
        }

        private void Write(string field, Span<float> target, double[] encoded, double[] prior, int part)
        {
            var width = _outputs.Length;
            var c = Array.BinarySearch(_categories, field, StringComparer.Ordinal);
            for (var j = 0; j < width; j++)
                target[j] = (float)(c >= 0 ? encoded[(part * _categories.Length + c) * width + j] : prior[part * width + j]);
            target[width] = c >= 0 ? _counts[c] : 0;
        }

        public override EncoderState ToState() => new("target", Index, Column, Categories: _categories, Counts: _counts, Encoded: _encoded,
            Prior: _prior, Outputs: _outputs, Smoothing: [.. _smoothing.Select(s => double.IsPositiveInfinity(s) ? -1 : s)]);

        public static TargetEncoder Restore(EncoderState s)
        {
            string[] outputs = s.Outputs ?? [], categories = s.Categories ?? [];
            int[] counts = s.Counts ?? [];
            double[] encoded = s.Encoded ?? [], prior = s.Prior ?? [], smoothing = s.Smoothing ?? [];
            if (outputs.Length == 0 || counts.Length != categories.Length || encoded.Length != categories.Length * outputs.Length
                || prior.Length != outputs.Length || smoothing.Length != outputs.Length)
                throw new InvalidDataException($"the target encoding of column '{s.Column}' is incomplete");
            return new TargetEncoder(s.Index, s.Column, outputs, categories, counts, encoded, prior,
                [.. smoothing.Select(v => v < 0 ? double.PositiveInfinity : v)], null, null);
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
/// <remarks>
/// A target encoder ("target") keeps its <see cref="Categories"/> with their training <see cref="Counts"/>, the encoded
/// values (<see cref="Encoded"/>, categories × <see cref="Outputs"/>), the training mean of each output (<see cref="Prior"/>)
/// and its shrinkage in rows (<see cref="Smoothing"/>; -1: all, the column showed no signal).
/// </remarks>
internal sealed record EncoderState(
    string Type, int Index, string Column, double? Mean = null, bool HasMissing = false, bool WithTime = false, string[]? Categories = null,
    int[]? Counts = null, double[]? Encoded = null, double[]? Prior = null, string[]? Outputs = null, double[]? Smoothing = null);
