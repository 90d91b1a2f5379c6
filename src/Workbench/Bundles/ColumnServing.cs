using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Tasks;
using MLWorkbench.Serving;

namespace MLWorkbench.Bundles;

/// <summary>
/// A loaded image, text or sentence-pair model behind <see cref="WorkbenchModel"/>: checks each input row (column name →
/// text), predicts the good ones in chunks with the same model class that was trained, and returns one
/// <see cref="RowResult"/> per row. TorchSharp modules and ML.NET prediction engines keep per-call state, so a model copy
/// serves one call at a time. Small models (no pretrained package file, under <see cref="SmallModelBytes"/>) get up to
/// one copy per core, loaded on demand, so threads predict in parallel; large ones (MiniLM is 90 MB, ResNet18 45 MB)
/// keep a single copy and calls wait for it, since copies per core would cost far more memory than the waiting costs time.
/// </summary>
internal abstract class ColumnServing : IDisposable
{
    /// <summary>Rows per call into the model: bounds the decoded images or token tensors held at once.</summary>
    protected const int Chunk = 256;

    /// <summary>Models whose bundle entries are smaller than this (and that need no pretrained file) are copied per core.</summary>
    public const long SmallModelBytes = 16L << 20;

    /// <summary>The largest image accepted, in megapixels (read from the header, before decoding).</summary>
    public const double MaxMegapixels = 50;

    /// <summary>Predicts many rows; a bad row gets its own error and the others are still predicted.</summary>
    public abstract IReadOnlyList<RowResult> PredictBatch(IEnumerable<IReadOnlyDictionary<string, string?>?> rows);

    /// <summary>Predicts one row.</summary>
    /// <exception cref="WorkbenchInputException">The row is bad.</exception>
    public Prediction Predict(IReadOnlyDictionary<string, string?>? row)
    {
        var result = PredictBatch([row])[0];
        return result.Prediction ?? throw new WorkbenchInputException(result.Error!);
    }

    /// <summary>The embedding of one text (bi-encoders only).</summary>
    /// <exception cref="NotSupportedException">The model has no sentence embeddings.</exception>
    public abstract float[] Embed(string text);

    /// <summary>A row with one good value of each input, to check that a loaded model predicts (see <see cref="WorkbenchModel.Validate"/>).</summary>
    public abstract Prediction PredictProbe();

    public abstract void Dispose();

    internal static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";

    /// <summary>
    /// Serving for one kind of example, built by its family's registration: <typeparamref name="TItem"/> is what a good
    /// row becomes (a path, a text, a pair), <paramref name="read"/> checks it, <paramref name="build"/> makes the model's
    /// input of a chunk, <paramref name="probe"/> gives column, value, column, value… of a row that must predict;
    /// <paramref name="first"/> is a copy the caller loaded already (to read its settings), or null.
    /// </summary>
    internal sealed class Serving<TItem, TData>(
        Func<ITrainedModel<TData>> load,
        int copies,
        IReadOnlyList<string>? classNames,
        string[] columns,
        Func<string[], (TItem Item, string? Problem)> read,
        Func<IReadOnlyList<TItem>, TData> build,
        Func<string[]> probe,
        ITrainedModel<TData>? first = null) : ColumnServing where TData : ILabelledData
    {
        // The first copy (given, or loaded now) makes a damaged model fail at load; with one copy, calls wait their turn for it.
        private readonly ModelPool<ITrainedModel<TData>> _pool = new(load, Math.Max(1, copies), first);

        public override IReadOnlyList<RowResult> PredictBatch(IEnumerable<IReadOnlyDictionary<string, string?>?> rows)
        {
            ArgumentNullException.ThrowIfNull(rows);
            var results = new List<RowResult>(rows.TryGetNonEnumeratedCount(out var count) ? count : 16);
            var pending = new List<(int Index, TItem Item)>(Math.Min(Chunk, Math.Max(count, 1)));
            foreach (var row in rows)
            {
                var index = results.Count;
                var (item, problem) = Check(row);
                results.Add(new RowResult(index, null, problem));
                if (problem is not null) continue;
                pending.Add((index, item!));
                if (pending.Count == Chunk) Flush();
            }
            Flush();
            return results;

            void Flush()
            {
                if (pending.Count == 0) return;
                var data = build(pending.Select(p => p.Item).ToArray());
                var predicted = _pool.Use(data, static (model, d) => model.Predict(d));
                for (var i = 0; i < pending.Count; i++) results[pending[i].Index] = results[pending[i].Index] with { Prediction = ToPrediction(predicted, i) };
                pending.Clear();
            }
        }

        private (TItem? Item, string? Problem) Check(IReadOnlyDictionary<string, string?>? row)
        {
            if (row is null) return (default, "The row is null.");
            var values = new string[columns.Length];
            for (var c = 0; c < columns.Length; c++)
            {
                if (!row.TryGetValue(columns[c], out var raw))
                    return (default, $"Input column '{columns[c]}' is missing; the model needs {string.Join(", ", columns)}.");
                if (raw is { Length: > RowEncoder.MaxFieldLength })
                    return (default, $"Column '{columns[c]}' holds {raw.Length:N0} characters; the limit is {RowEncoder.MaxFieldLength:N0} (1 MiB).");
                if (string.IsNullOrWhiteSpace(raw))
                    return (default, columns[c] == TaskColumns.Image
                        ? $"Column '{columns[c]}' is empty; give the path of an image file."
                        : $"Column '{columns[c]}' is empty; give a non-empty text.");
                values[c] = columns[c] == TaskColumns.Image ? raw.Trim() : raw;
            }
            var (item, problem) = read(values);
            return problem is null ? (item, null) : (default, problem);
        }

        private Prediction ToPrediction(Predictions predicted, int row)
        {
            if (classNames is null || predicted.Probabilities is null) return new Prediction(predicted.Values[row], null, null);
            var probabilities = new Dictionary<string, float>(classNames.Count, StringComparer.Ordinal);
            for (var c = 0; c < classNames.Count; c++) probabilities[classNames[c]] = predicted.Probabilities[row][c];
            return new Prediction(null, classNames[(int)predicted.Values[row]], probabilities);
        }

        public override float[] Embed(string text)
        {
            ArgumentNullException.ThrowIfNull(text);
            if (!_pool.Use(static model => model is IEmbeddingModel))
                throw new NotSupportedException($"This {typeof(TData).Name} model has no sentence embeddings; only MiniLM bi-encoder models (minilm-zeroshot, minilm-biencoder) embed texts.");
            if (text.Length > RowEncoder.MaxFieldLength)
                throw new WorkbenchInputException($"The text holds {text.Length:N0} characters; the limit is {RowEncoder.MaxFieldLength:N0} (1 MiB).");
            return _pool.Use(text, static (model, t) => ((IEmbeddingModel)model).Embed([t])[0]);
        }

        public override Prediction PredictProbe()
        {
            var pairs = probe();
            var row = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < pairs.Length; i += 2) row[pairs[i]] = pairs[i + 1];
            try
            {
                return Predict(row);
            }
            finally
            {
                if (row.TryGetValue(TaskColumns.Image, out var file) && file is not null) File.Delete(file);
            }
        }

        public override void Dispose() => _pool.Dispose();
    }
}
