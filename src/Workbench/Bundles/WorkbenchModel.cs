using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Tasks;

namespace MLWorkbench.Bundles;

/// <summary>
/// A trained tabular pipeline loaded from a <c>.mlwb</c> file: it takes rows of source columns as text (as in the
/// training file), encodes them as the training featurizer did and predicts. Every method may be called from many
/// threads at once. Input rules: every column in <see cref="InputColumns"/> with <c>Required</c> must be present
/// (others, such as the label, are ignored); values are trimmed; empty, NA, NaN and null count as missing, which is
/// accepted where <see cref="ModelInput.AllowsMissing"/> says so; a category not seen in training is encoded as all
/// zeros (no error), like a missing one; a field over 1 MiB is refused.
/// </summary>
public sealed class WorkbenchModel : IDisposable
{
    private const int BatchChunk = 4096;

    private readonly TabularFeaturizer _featurizer;
    private readonly RowEncoder _encoder;
    private readonly ModelPool _pool;
    private readonly ConcurrentDictionary<Type, TypedInput> _inputs = new();
    private readonly ConcurrentDictionary<Type, TypedOutput> _outputs = new();

    private WorkbenchModel(string path, ModelManifest manifest, TaskKind task, TabularFeaturizer featurizer, ModelPool pool)
    {
        Path = path;
        Manifest = manifest;
        Task = task;
        _featurizer = featurizer;
        _encoder = new RowEncoder(featurizer);
        _pool = pool;
    }

    /// <summary>The file the model was loaded from.</summary>
    public string Path { get; }

    /// <summary>Everything the bundle records: versions, metrics, trainer, hyperparameters, checksums.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>The task: regression, binary or multiclass classification.</summary>
    public TaskKind Task { get; }

    /// <summary>The column the model predicts.</summary>
    public string Label => Manifest.Label;

    /// <summary>Class names in the model's order (classification); null for regression.</summary>
    public IReadOnlyList<string>? ClassNames => _featurizer.ClassNames;

    /// <summary>The source columns of the training data (label excluded), with kind and whether each is required.</summary>
    public IReadOnlyList<ModelInput> InputColumns => Manifest.Inputs;

    /// <summary>The longest field accepted, in characters (1 MiB).</summary>
    public const int MaxFieldLength = RowEncoder.MaxFieldLength;

    /// <summary>Loads and checks a bundle.</summary>
    /// <exception cref="WorkbenchInputException">
    /// The file is missing, not a bundle, damaged or truncated (an entry does not match its checksum), written by a newer
    /// MLWorkbench, or holds a TorchSharp model where TorchSharp's native library cannot load.
    /// </exception>
    public static WorkbenchModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromBytes(path, ReadFile(path, () => File.ReadAllBytes(path)));
    }

    /// <summary>Loads and checks a bundle, reading the file asynchronously.</summary>
    /// <exception cref="WorkbenchInputException">As for <see cref="Load"/>.</exception>
    public static async Task<WorkbenchModel> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new WorkbenchInputException($"Model file '{path}' does not exist.");
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchInputException($"Model file '{path}' cannot be read: {e.Message}", e);
        }
        return FromBytes(path, bytes);
    }

    private static byte[] ReadFile(string path, Func<byte[]> read)
    {
        if (!File.Exists(path)) throw new WorkbenchInputException($"Model file '{path}' does not exist.");
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
    internal static WorkbenchModel FromBytes(string path, byte[] bytes)
    {
        var (manifest, entries) = BundleArchive.Read(path, bytes);
        var task = TaskNames.Parse(manifest.Task) is { } t && t.IsTabular() ? t
            : throw new WorkbenchInputException($"Model file '{path}' is for task '{manifest.Task}', which this MLWorkbench cannot load.");
        TabularFeaturizer featurizer;
        try
        {
            var state = JsonSerializer.Deserialize<FeaturizerState>(Entry(path, entries, ModelBundle.FeaturizerEntry), BundleJson.Options)
                        ?? throw new InvalidDataException("empty featurizer");
            featurizer = TabularFeaturizer.FromState(state);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or ArgumentException)
        {
            throw new WorkbenchInputException($"Model file '{path}' is damaged: {ModelBundle.FeaturizerEntry} cannot be used ({e.Message}).", e);
        }
        if (featurizer.Task != task || !featurizer.FeatureNames.SequenceEqual(manifest.FeatureNames)
            || !(featurizer.ClassNames ?? []).SequenceEqual(manifest.ClassNames ?? []))
            throw new WorkbenchInputException($"Model file '{path}' is damaged: its featurizer does not match its manifest.");

        Func<ITrainedModel> load = manifest.ModelFormat switch
        {
            ModelFormats.MlNet => LoadMlNet(path, Entry(path, entries, ModelBundle.ModelFolder + "mlnet.zip"), task, featurizer.FeatureNames.Count),
            ModelFormats.Torch => LoadTorch(path, entries, task),
            _ => throw new WorkbenchInputException(
                $"Model file '{path}' holds a model in format '{manifest.ModelFormat}', which MLWorkbench {BundleJson.LibraryVersion} cannot read; upgrade MLWorkbench to load it."),
        };
        var pool = new ModelPool(load, Math.Max(2, Environment.ProcessorCount));
        return new WorkbenchModel(path, manifest, task, featurizer, pool);
    }

    private static byte[] Entry(string path, IReadOnlyDictionary<string, byte[]> entries, string name) =>
        entries.TryGetValue(name, out var bytes) ? bytes : throw new WorkbenchInputException($"Model file '{path}' is damaged: entry {name} is missing.");

    private static Func<ITrainedModel> LoadMlNet(string path, byte[] zip, TaskKind task, int width) => () =>
    {
        try
        {
            return MlNetServingModel.Load(zip, task, width);
        }
        catch (Exception e) when (e is not WorkbenchInputException and not OutOfMemoryException)
        {
            throw new WorkbenchInputException($"Model file '{path}' is damaged: its ML.NET model cannot be loaded ({OneLine(e)}).", e);
        }
    };

    private static Func<ITrainedModel> LoadTorch(string path, IReadOnlyDictionary<string, byte[]> entries, TaskKind task)
    {
        TorchModelState state;
        try
        {
            state = JsonSerializer.Deserialize<TorchModelState>(Entry(path, entries, ModelBundle.ModelFolder + "torch.json"), BundleJson.Options)
                    ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new WorkbenchInputException($"Model file '{path}' is damaged: its TorchSharp settings cannot be read ({e.Message}).", e);
        }
        var weights = Entry(path, entries, ModelBundle.ModelFolder + "weights.bin");
        return () =>
        {
            try
            {
                return TorchTabularModel.Load(state, weights, task);
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException or EntryPointNotFoundException or BadImageFormatException)
            {
                throw new WorkbenchInputException(
                    $"Model file '{path}' holds a TorchSharp model, but TorchSharp's native library (libtorch) cannot be loaded on this machine ({OneLine(e)}); install the libtorch package for this platform to use it.", e);
            }
            catch (Exception e) when (e is not WorkbenchInputException and not OutOfMemoryException)
            {
                throw new WorkbenchInputException($"Model file '{path}' is damaged: its TorchSharp network cannot be loaded ({OneLine(e)}).", e);
            }
        };
    }

    private static string OneLine(Exception e)
    {
        var inner = e is TypeInitializationException { InnerException: { } i } ? i : e;
        var text = inner.Message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
        return text.Length <= 200 ? text : text[..200] + "…";
    }

    /// <summary>Predicts one row given as column name → text (as in the training file).</summary>
    /// <exception cref="WorkbenchInputException">The row is bad: a required column is missing, a value has the wrong type, or a field is too large.</exception>
    public Prediction Predict(IReadOnlyDictionary<string, string?> row)
    {
        return PredictEncoded(EncodeFeatures(row), 1)[0];
    }

    /// <summary>
    /// Encodes one row as the training featurizer did: the feature vector (in <see cref="ModelManifest.FeatureNames"/>
    /// order) that the model, and an ONNX export of it (<see cref="ExportOnnxAsync"/>), takes as input.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The row is bad (see <see cref="Predict(IReadOnlyDictionary{string, string})"/>).</exception>
    public float[] EncodeFeatures(IReadOnlyDictionary<string, string?> row)
    {
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
    /// <c>{"value": 1.5}</c> for regression, <c>{"predictedLabel": "b", "probability": 0.8, "probabilities": {"a": 0.2, "b": 0.8}}</c>
    /// for classification. An array of such objects gives an array of results, where a bad row is <c>{"error": "…"}</c>.
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
                    if (_encoder.RequiredColumns.Contains(property.Name))
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
    /// float/double array in <see cref="ClassNames"/> order).
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
        if (Manifest.ModelFormat != ModelFormats.MlNet)
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

    /// <summary>Runs one row of zero features through the model, so that a model that loads but cannot predict is caught before it serves.</summary>
    /// <exception cref="WorkbenchInputException">The model cannot predict.</exception>
    internal void Validate()
    {
        try
        {
            PredictEncoded(new float[_encoder.Width], 1);
        }
        catch (Exception e) when (e is not WorkbenchInputException and not OutOfMemoryException)
        {
            throw new WorkbenchInputException($"Model file '{Path}' is damaged: its model loads but cannot predict ({OneLine(e)}).", e);
        }
    }

    /// <summary>Releases the loaded model copies. Do not call while predictions are running.</summary>
    public void Dispose() => _pool.Dispose();
}
