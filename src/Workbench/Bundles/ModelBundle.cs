using System.Text.Json;
using MLWorkbench.Data;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Serving;

namespace MLWorkbench.Bundles;

/// <summary>
/// Writes one trained model of any task into one <c>.mlwb</c> file: a zip of <c>manifest.json</c>, the model's entries
/// under <c>model/</c> and, for tabular models, the <c>featurizer.json</c> it was trained behind.
/// <see cref="WorkbenchModel.Load"/> reads it back through the format's registration (<see cref="ModelFamilies"/>).
/// </summary>
internal static class ModelBundle
{
    public const string FeaturizerEntry = "featurizer.json";
    public const string ModelFolder = "model/";

    /// <summary>Saves a tabular <paramref name="model"/> with the featurizer it was trained behind.</summary>
    /// <exception cref="NotSupportedException">The model cannot be saved (it does not implement the bundle hook), or the task is not tabular.</exception>
    public static Task SaveAsync(string path, ITrainedModel<FeatureMatrix> model, TabularFeaturizer featurizer, BundleSource source, CancellationToken cancellationToken)
    {
        if (!featurizer.Task.IsTabular())
            throw new NotSupportedException($"Bundles hold tabular models; task {featurizer.Task.ToName()} is not tabular.");
        var used = featurizer.Inputs.ToDictionary(i => i.Name);
        var inputs = featurizer.Columns.Select(c => used.TryGetValue(c.Name, out var input)
            ? new ModelInput(c.Name, input.Kind, Required: true, input.AllowsMissing)
            : new ModelInput(c.Name, ColumnKind.Ignored, Required: false, AllowsMissing: true)).ToArray();
        return WriteAsync(path, model, featurizer.Task, featurizer.ClassNames?.ToArray(), inputs, featurizer.FeatureNames.ToArray(), source,
            entries => entries[FeaturizerEntry] = JsonSerializer.SerializeToUtf8Bytes(featurizer.ToState(), BundleJson.Options), cancellationToken);
    }

    /// <summary>Saves an image, text or pair <paramref name="model"/>, trained for <paramref name="task"/> on classes <paramref name="classNames"/> (null for similarity).</summary>
    /// <exception cref="NotSupportedException">The model cannot be saved (it does not implement the bundle hook), or the task is tabular.</exception>
    public static Task SaveAsync<TData>(string path, ITrainedModel<TData> model, TaskKind task, IReadOnlyList<string>? classNames, BundleSource source,
        CancellationToken cancellationToken) where TData : ILabelledData
    {
        ArgumentNullException.ThrowIfNull(model);
        if (task.IsTabular()) throw new NotSupportedException($"Task {task.ToName()} is tabular; save it with its featurizer.");
        var classes = task.IsClassification() ? classNames?.ToArray() ?? throw new ArgumentException("A classifier needs its class names.", nameof(classNames)) : null;
        return WriteAsync(path, model, task, classes, Inputs(task), [], source, _ => { }, cancellationToken);
    }

    /// <summary>The input columns of an image, text or pair task's bundle.</summary>
    public static IReadOnlyList<ModelInput> Inputs(TaskKind task) => task switch
    {
        TaskKind.ImageClassification => [new ModelInput(TaskColumns.Image, ColumnKind.ImagePath, Required: true, AllowsMissing: false)],
        TaskKind.TextClassification => [new ModelInput(TaskColumns.Text, ColumnKind.Text, Required: true, AllowsMissing: false)],
        TaskKind.SentenceSimilarity =>
        [
            new ModelInput(TaskColumns.Sentence1, ColumnKind.Text, Required: true, AllowsMissing: false),
            new ModelInput(TaskColumns.Sentence2, ColumnKind.Text, Required: true, AllowsMissing: false),
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "not an image, text or pair task"),
    };

    // The one writer: a model is saved only in a format some family reads back for its task, so no bundle is written that cannot load.
    private static async Task WriteAsync(string path, object model, TaskKind task, string[]? classNames, IReadOnlyList<ModelInput> inputs,
        string[] featureNames, BundleSource source, Action<Dictionary<string, byte[]>> addEntries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (model is not IBundledModel bundled)
            throw new NotSupportedException($"A {source.Trainer} model cannot be saved as a bundle.");
        var format = ModelFamilies.Format(bundled.Format) ?? throw new NotSupportedException($"No model family reads bundle format {bundled.Format}.");
        if (!format.Tasks.Contains(task))
            throw new NotSupportedException($"A {bundled.Format} model is for task {string.Join(", ", format.Tasks.Select(t => t.ToName()))}, not {task.ToName()}.");
        cancellationToken.ThrowIfCancellationRequested();
        var modelEntries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var assets = new List<PretrainedAsset>();
        bundled.Save(modelEntries, assets);
        var entries = modelEntries.ToDictionary(e => ModelFolder + e.Key, e => e.Value, StringComparer.Ordinal);
        addEntries(entries);
        var manifest = source.ToManifest(task, bundled.Format) with
        {
            ClassNames = classNames,
            Inputs = inputs,
            FeatureNames = featureNames,
            PretrainedAssets = assets.DistinctBy(a => a.Name).ToArray(),
            RequiredPackages = ExtensionRegistry.Default.PackagesOf(bundled.Format, bundled.MemberFormats, assets),
        };
        await BundleArchive.WriteAsync(path, manifest, entries, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Where a bundled model came from, for its manifest.</summary>
/// <param name="Label">The predicted column.</param>
/// <param name="Trainer">The trainer's name.</param>
/// <param name="Family">The model family.</param>
/// <param name="Hyperparameters">The trainer's settings.</param>
/// <param name="Validation">Metrics it was selected on.</param>
/// <param name="Test">Test metrics, when scored.</param>
/// <param name="DataSha256">SHA-256 of the training data file.</param>
internal sealed record BundleSource(
    string Label, string Trainer, ModelFamily Family, IReadOnlyDictionary<string, object?> Hyperparameters,
    IReadOnlyDictionary<string, double> Validation, IReadOnlyDictionary<string, double>? Test, string? DataSha256)
{
    /// <summary>The manifest fields every bundle shares: versions, creation time, task, how the model was chosen and trained.</summary>
    public ModelManifest ToManifest(TaskKind task, string modelFormat) => new()
    {
        FormatVersion = ModelManifest.CurrentFormatVersion,
        LibraryVersion = BundleJson.LibraryVersion,
        Packages = EnvironmentProbe.Capture(0, "", "", runtimes: ExtensionRegistry.Default.RuntimeVersions).Packages,
        CreatedUtc = DateTimeOffset.UtcNow,
        Task = task.ToName(),
        Label = Label,
        Metrics = new ModelMetrics
        {
            Validation = new Dictionary<string, double>(Validation),
            Test = new Dictionary<string, double>(Test ?? new Dictionary<string, double>()),
        },
        DataSha256 = DataSha256,
        Trainer = Trainer,
        Family = Family.ToName(),
        Hyperparameters = new Dictionary<string, object?>(Hyperparameters),
        ModelFormat = modelFormat,
    };
}
