using System.Collections.Concurrent;
using MLWorkbench.Bundles;
using MLWorkbench.Tasks;

namespace MLWorkbench.Serving;

/// <summary>
/// Serves named <c>.mlwb</c> models to many threads at once, like ML.NET's <c>PredictionEnginePool</c>: add each model
/// once by name, then predict by name from any thread. With <c>reloadOnChange</c>, a model is reloaded when its file
/// changes: the new file is read whole, loaded and checked (checksums, featurizer, same task, one prediction) and only
/// then swapped in atomically; requests already running finish on the old version, which is disposed when the last of
/// them ends; a damaged or unsuitable new file leaves the old version serving, is recorded in
/// <see cref="GetStatus"/> and reported through <see cref="Reloaded"/>. No request fails because of a reload.
/// In an ASP.NET Core app, register it with <c>services.AddWorkbenchModel(name, path, reloadOnChange: true)</c> from
/// MLWorkbench.Hosting.
/// </summary>
public sealed class WorkbenchModelPool : IDisposable
{
    /// <summary>How long a model's file must be quiet after a change before it is reloaded, unless <see cref="Add"/> says otherwise.</summary>
    public static readonly TimeSpan DefaultReloadDelay = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<string, ServedModel> _models = new(StringComparer.Ordinal);
    private readonly BundleLoadOptions? _options;
    private volatile bool _disposed;

    /// <summary>A pool whose models load with <see cref="BundleLoadOptions.Default"/>.</summary>
    public WorkbenchModelPool()
    {
    }

    /// <summary>
    /// A pool whose models, and every reload of them, are checked with <paramref name="options"/>: size limits, and with
    /// <see cref="BundleLoadOptions.RequiredSignature"/> only bundles signed with that key serve (an unsigned or changed
    /// file is refused and the old version keeps serving).
    /// </summary>
    public WorkbenchModelPool(BundleLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>
    /// Raised after each reload attempt that found a changed file: with <see cref="ModelReloadEventArgs.Error"/> null when
    /// the new version serves, or the reason the old one still does. Raised on a background thread; a handler that
    /// throws is ignored.
    /// </summary>
    public event EventHandler<ModelReloadEventArgs>? Reloaded;

    /// <summary>The names of the models served.</summary>
    public IReadOnlyCollection<string> Names => _models.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>True when a model of that name is served.</summary>
    public bool Contains(string name) => _models.ContainsKey(name);

    /// <summary>Loads the model at <paramref name="path"/> and serves it as <paramref name="name"/>.</summary>
    /// <param name="name">The name requests use; any non-empty text.</param>
    /// <param name="path">The <c>.mlwb</c> file.</param>
    /// <param name="reloadOnChange">Watch the file and reload the model when it changes.</param>
    /// <param name="reloadDelay">How long the file must be quiet before a reload (default <see cref="DefaultReloadDelay"/>).</param>
    /// <exception cref="ArgumentException">The name is empty or already served.</exception>
    /// <exception cref="WorkbenchInputException">The file is missing, damaged, or not a model this library can load.</exception>
    public void Add(string name, string path, bool reloadOnChange = false, TimeSpan? reloadDelay = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (reloadDelay is { } d && d < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(reloadDelay), "The reload delay cannot be negative.");
        if (_models.ContainsKey(name)) throw new ArgumentException($"A model named '{name}' is already served.", nameof(name));
        var served = ServedModel.Open(name, path, reloadOnChange ? reloadDelay ?? DefaultReloadDelay : null, Report, _options);
        if (!_models.TryAdd(name, served))
        {
            served.Dispose();
            throw new ArgumentException($"A model named '{name}' is already served.", nameof(name));
        }
        if (_disposed) served.Dispose();
    }

    /// <summary>
    /// Reloads <paramref name="name"/> from its file now (as a file change would): true when a new version serves, false
    /// when the file is unchanged.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The file is missing, damaged or holds another task; the old version keeps serving.</exception>
    public Task<bool> ReloadAsync(string name, CancellationToken cancellationToken = default) => Served(name).ReloadAsync(cancellationToken);

    /// <summary>The version serving <paramref name="name"/>, where it came from, and the last reload error.</summary>
    public ServedModelStatus GetStatus(string name) => Served(name).Status();

    /// <summary>
    /// The model serving <paramref name="name"/> now, kept loaded until the lease is disposed (even if a reload replaces it
    /// meanwhile). Use it for several calls that must see the same version.
    /// </summary>
    internal WorkbenchModelLease Rent(string name) => new(Served(name).Acquire());

    /// <summary>Predicts one row with the model <paramref name="name"/>; see <see cref="WorkbenchModel.Predict(IReadOnlyDictionary{string, string})"/>.</summary>
    /// <exception cref="WorkbenchInputException">The row is bad.</exception>
    public Prediction Predict(string name, IReadOnlyDictionary<string, string?> row) => Use(name, row, static (model, r) => model.Predict(r));

    /// <summary>Predicts many rows with the model <paramref name="name"/>; a bad row gets its own error (see <see cref="WorkbenchModel.PredictBatch"/>).</summary>
    public IReadOnlyList<RowResult> PredictBatch(string name, IEnumerable<IReadOnlyDictionary<string, string?>> rows) =>
        Use(name, rows, static (model, r) => model.PredictBatch(r));

    /// <summary>Predicts JSON (an object, or an array of objects) with the model <paramref name="name"/>; see <see cref="WorkbenchModel.PredictJson"/>.</summary>
    /// <exception cref="WorkbenchInputException">The JSON is invalid, or (for a single object) the row is bad.</exception>
    public string PredictJson(string name, string json) => Use(name, json, static (model, j) => model.PredictJson(j));

    /// <summary>Predicts a typed object with the model <paramref name="name"/>; see <see cref="WorkbenchModel.Predict{TIn, TOut}"/>.</summary>
    /// <exception cref="WorkbenchInputException">The row is bad.</exception>
    public TOut Predict<TIn, TOut>(string name, TIn input) where TOut : new() => Use(name, input, static (model, i) => model.Predict<TIn, TOut>(i));

    private TResult Use<TArg, TResult>(string name, TArg argument, Func<WorkbenchModel, TArg, TResult> use)
    {
        var version = Served(name).Acquire();
        try
        {
            return use(version.Model, argument);
        }
        finally
        {
            version.Release();
        }
    }

    private ServedModel Served(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_models.TryGetValue(name, out var served)) return served;
        throw new ArgumentException(_models.IsEmpty
            ? $"No model is named '{name}': the pool serves none yet."
            : $"No model is named '{name}'; the pool serves {string.Join(", ", Names.Select(n => $"'{n}'"))}.", nameof(name));
    }

    private void Report(ModelReloadEventArgs e)
    {
        var handlers = Reloaded;
        if (handlers is null) return;
        foreach (var handler in handlers.GetInvocationList().Cast<EventHandler<ModelReloadEventArgs>>())
        {
            try
            {
                handler(this, e);
            }
            catch (Exception)
            {
                // A logging handler must not stop a reload or the watcher.
            }
        }
    }

    /// <summary>Stops watching and releases every model; requests still running finish first on their version.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var served in _models.Values) served.Dispose();
    }
}

/// <summary>A model version rented from a <see cref="WorkbenchModelPool"/>; dispose it to give the version back.</summary>
internal sealed class WorkbenchModelLease : IDisposable
{
    private ModelVersion? _version;

    internal WorkbenchModelLease(ModelVersion version)
    {
        _version = version;
        Model = version.Model;
        Version = version.Number;
    }

    /// <summary>The model; valid until the lease is disposed.</summary>
    public WorkbenchModel Model { get; }

    /// <summary>Which load of the file this is: 1 for the first, one more for each reload that swapped in a new model.</summary>
    public int Version { get; }

    /// <summary>Gives the version back; the pool disposes it once it is replaced and no lease or request uses it.</summary>
    public void Dispose() => Interlocked.Exchange(ref _version, null)?.Release();
}

/// <summary>What a <see cref="WorkbenchModelPool"/> serves under one name.</summary>
/// <param name="Name">The model's name in the pool.</param>
/// <param name="Path">The file it is loaded (and reloaded) from.</param>
/// <param name="Version">1 for the first load, one more for each reload that swapped in a new model.</param>
/// <param name="LoadedUtc">When the serving version was loaded.</param>
/// <param name="Sha256">SHA-256 of the file the serving version was loaded from.</param>
/// <param name="Manifest">The serving version's manifest.</param>
/// <param name="LastError">Why the file could not be loaded at the last attempt since the last good load; null when it could.</param>
/// <param name="LastErrorUtc">When that attempt was.</param>
public sealed record ServedModelStatus(
    string Name, string Path, int Version, DateTimeOffset LoadedUtc, string Sha256, ModelManifest Manifest, string? LastError, DateTimeOffset? LastErrorUtc);

/// <summary>The outcome of reloading a model after its file changed.</summary>
public sealed class ModelReloadEventArgs : EventArgs
{
    internal ModelReloadEventArgs(string name, string path, int version, string? error)
    {
        Name = name;
        Path = path;
        Version = version;
        Error = error;
    }

    /// <summary>The model's name in the pool.</summary>
    public string Name { get; }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>The version serving now: the new one after a good reload, the old one after a failed one.</summary>
    public int Version { get; }

    /// <summary>Why the new file was refused (one sentence), or null when it now serves.</summary>
    public string? Error { get; }

    /// <summary>True when the new file now serves.</summary>
    public bool Succeeded => Error is null;
}
