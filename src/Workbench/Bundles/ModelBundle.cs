using System.Text.Json;
using MLWorkbench.Data;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Bundles;

/// <summary>
/// Writes one trained tabular pipeline (featurizer and model) into one <c>.mlwb</c> file: a zip of <c>manifest.json</c>,
/// <c>featurizer.json</c> and the model's entries under <c>model/</c>. <see cref="WorkbenchModel.Load"/> reads it back.
/// </summary>
internal static class ModelBundle
{
    public const string FeaturizerEntry = "featurizer.json";
    public const string ModelFolder = "model/";

    /// <summary>Saves <paramref name="model"/> with the featurizer it was trained behind.</summary>
    /// <exception cref="NotSupportedException">The model cannot be saved (it does not implement the bundle hook).</exception>
    public static async Task SaveAsync(string path, ITrainedModel model, TabularFeaturizer featurizer, BundleSource source, CancellationToken cancellationToken)
    {
        if (model is not IBundledModel bundled)
            throw new NotSupportedException($"A {source.Trainer} model cannot be saved as a bundle yet.");
        if (!featurizer.Task.IsTabular())
            throw new NotSupportedException($"Bundles hold tabular models; task {featurizer.Task.ToName()} is not tabular.");
        var modelEntries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        bundled.Save(modelEntries);
        var entries = modelEntries.ToDictionary(e => ModelFolder + e.Key, e => e.Value, StringComparer.Ordinal);
        entries[FeaturizerEntry] = JsonSerializer.SerializeToUtf8Bytes(featurizer.ToState(), BundleJson.Options);

        var used = featurizer.Inputs.ToDictionary(i => i.Name);
        var manifest = source.ToManifest(featurizer.Task, bundled.Format) with
        {
            ClassNames = featurizer.ClassNames?.ToArray(),
            Inputs = featurizer.Columns.Select(c => used.TryGetValue(c.Name, out var input)
                ? new ModelInput(c.Name, input.Kind, Required: true, input.AllowsMissing)
                : new ModelInput(c.Name, ColumnKind.Ignored, Required: false, AllowsMissing: true)).ToArray(),
            FeatureNames = featurizer.FeatureNames.ToArray(),
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
        Packages = EnvironmentProbe.Capture(0, "", "").Packages,
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
