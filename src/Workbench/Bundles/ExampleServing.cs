using System.Collections.Concurrent;
using MLWorkbench.Evaluation;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Similarity;
using MLWorkbench.TextClassification;

namespace MLWorkbench.Bundles;

/// <summary>
/// A loaded image, text or sentence-pair model behind <see cref="WorkbenchModel"/>: checks each input row (column name →
/// text), predicts the good ones in chunks with the same model class that was trained, and returns one
/// <see cref="RowResult"/> per row. TorchSharp modules and ML.NET prediction engines keep per-call state, so a model copy
/// serves one call at a time. Small models (no pretrained package file, under <see cref="SmallModelBytes"/>) get up to
/// one copy per core, loaded on demand, so threads predict in parallel; large ones (MiniLM is 90 MB, ResNet18 45 MB)
/// keep a single copy and calls wait for it, since copies per core would cost far more memory than the waiting costs time.
/// </summary>
internal abstract class ExampleServing : IDisposable
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

    /// <summary>Serves an image classifier: column <c>image</c> holds the path of a PNG, JPEG or BMP file.</summary>
    public static ExampleServing Images(IExampleModel<ImageExamples> model, IReadOnlyList<string> classNames, int channels,
        Func<IExampleModel<ImageExamples>>? loadCopy = null, int copies = 1) =>
        new Serving<string, ImageExamples>(model, loadCopy, copies, classNames, [ExampleColumns.Image],
            values => ReadImage(values[0]),
            paths => new ImageExamples(paths, new float[paths.Count], classNames, channels, 0, new ImageCache()),
            ProbeImage);

    /// <summary>Serves a text classifier: column <c>text</c>.</summary>
    public static ExampleServing Texts(IExampleModel<TextExamples> model, IReadOnlyList<string> classNames,
        Func<IExampleModel<TextExamples>>? loadCopy = null, int copies = 1) =>
        new Serving<string, TextExamples>(model, loadCopy, copies, classNames, [ExampleColumns.Text],
            values => (values[0], null),
            texts => new TextExamples(texts, new float[texts.Count], classNames),
            () => [ExampleColumns.Text, "a short probe text"]);

    /// <summary>Serves a sentence-similarity model: columns <c>sentence1</c> and <c>sentence2</c>; the prediction's value is the score.</summary>
    public static ExampleServing Pairs(IExampleModel<SentencePairs> model, Func<IExampleModel<SentencePairs>>? loadCopy = null, int copies = 1) =>
        new Serving<(string, string), SentencePairs>(model, loadCopy, copies, null, [ExampleColumns.Sentence1, ExampleColumns.Sentence2],
            values => ((values[0], values[1]), null),
            pairs => new SentencePairs(pairs.Select(p => p.Item1).ToArray(), pairs.Select(p => p.Item2).ToArray(), new float[pairs.Count], new ScoreRange(0, 1)),
            () => [ExampleColumns.Sentence1, "a probe sentence", ExampleColumns.Sentence2, "another probe sentence"]);

    private static (string Path, string? Problem) ReadImage(string value)
    {
        string full;
        try
        {
            full = Path.GetFullPath(value);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return ("", $"Column '{ExampleColumns.Image}' holds '{Shorten(value)}', which is not a valid file path.");
        }
        var inspection = ImageDecoder.Inspect(full, MaxMegapixels);
        return inspection.Problem is { } problem
            ? ("", $"Column '{ExampleColumns.Image}': image '{Shorten(value)}' cannot be used: {problem}.")
            : (full, null);
    }

    /// <summary>A gray 16x16 PNG in a temporary file: the probe row of an image model; the caller deletes the file.</summary>
    private static string[] ProbeImage()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlwb-probe-{Guid.NewGuid():N}.png");
        using (var bitmap = new SkiaSharp.SKBitmap(16, 16))
        {
            bitmap.Erase(new SkiaSharp.SKColor(128, 128, 128));
            using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(path, data.ToArray());
        }
        return [ExampleColumns.Image, path];
    }

    internal static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";

    /// <summary>Serving for one kind of example: <typeparamref name="TItem"/> is what a good row becomes (a path, a text, a pair).</summary>
    private sealed class Serving<TItem, TData>(
        IExampleModel<TData> first,
        Func<IExampleModel<TData>>? loadCopy,
        int copies,
        IReadOnlyList<string>? classNames,
        string[] columns,
        Func<string[], (TItem Item, string? Problem)> read,
        Func<IReadOnlyList<TItem>, TData> build,
        Func<string[]> probe) : ExampleServing where TData : ILabelledData
    {
        private readonly int _copies = loadCopy is null ? 1 : Math.Max(1, copies);
        // One slot per copy: at most that many calls run at once, so at most that many copies are ever loaded.
        private readonly SemaphoreSlim _slots = new(loadCopy is null ? 1 : Math.Max(1, copies));
        private readonly ConcurrentBag<IExampleModel<TData>> _idle = [first];
        private readonly List<IExampleModel<TData>> _all = [first];
        private readonly Lock _gate = new();
        private volatile bool _disposed;

        /// <summary>Runs <paramref name="call"/> on a free copy, loading another one when every loaded copy is busy.</summary>
        private T Use<T>(Func<IExampleModel<TData>, T> call)
        {
            _slots.Wait();
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (!_idle.TryTake(out var model))
                {
                    model = loadCopy!();
                    lock (_gate) _all.Add(model);
                }
                try
                {
                    return call(model);
                }
                finally
                {
                    _idle.Add(model);
                }
            }
            finally
            {
                _slots.Release();
            }
        }

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
                var predicted = Use(model => model.Predict(data));
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
                if (raw is { Length: > WorkbenchModel.MaxFieldLength })
                    return (default, $"Column '{columns[c]}' holds {raw.Length:N0} characters; the limit is {WorkbenchModel.MaxFieldLength:N0} (1 MiB).");
                if (string.IsNullOrWhiteSpace(raw))
                    return (default, columns[c] == ExampleColumns.Image
                        ? $"Column '{columns[c]}' is empty; give the path of an image file."
                        : $"Column '{columns[c]}' is empty; give a non-empty text.");
                values[c] = columns[c] == ExampleColumns.Image ? raw.Trim() : raw;
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
            if (first is not IEmbeddingModel)
                throw new NotSupportedException($"This {typeof(TData).Name} model has no sentence embeddings; only MiniLM bi-encoder models (minilm-zeroshot, minilm-biencoder) embed texts.");
            if (text.Length > WorkbenchModel.MaxFieldLength)
                throw new WorkbenchInputException($"The text holds {text.Length:N0} characters; the limit is {WorkbenchModel.MaxFieldLength:N0} (1 MiB).");
            return Use(model => ((IEmbeddingModel)model).Embed([text])[0]);
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
                if (row.TryGetValue(ExampleColumns.Image, out var file) && file is not null) File.Delete(file);
            }
        }

        public override void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            // Wait for the calls in flight: each holds a slot until its copy is back.
            for (var i = 0; i < _copies; i++) _slots.Wait();
            lock (_gate) foreach (var model in _all) model.Dispose();
            // Later callers get their slot and then the ObjectDisposedException, instead of waiting forever.
            _slots.Release(_copies);
        }
    }
}
