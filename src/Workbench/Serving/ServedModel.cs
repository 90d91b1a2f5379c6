using System.Security.Cryptography;
using MLWorkbench.Bundles;
using MLWorkbench.Tasks;

namespace MLWorkbench.Serving;

/// <summary>
/// One loaded version of a served model, counted while in use: the pool holds one reference until the version is
/// replaced, and every request holds one while it runs, so the last of them to finish disposes it.
/// </summary>
internal sealed class ModelVersion(WorkbenchModel model, int number, string sha256)
{
    private int _users = 1;

    public WorkbenchModel Model { get; } = model;
    public int Number { get; } = number;
    public string Sha256 { get; } = sha256;
    public DateTimeOffset LoadedUtc { get; } = DateTimeOffset.UtcNow;

    /// <summary>Takes a reference; false once the version has been retired and released by everyone.</summary>
    public bool TryAcquire()
    {
        var users = Volatile.Read(ref _users);
        while (users > 0)
        {
            var seen = Interlocked.CompareExchange(ref _users, users + 1, users);
            if (seen == users) return true;
            users = seen;
        }
        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _users) == 0) Model.Dispose();
    }
}

/// <summary>
/// A named model of a <see cref="WorkbenchModelPool"/>: the version now serving, and optionally a file watcher that
/// reloads it. A reload reads the whole file, loads and checks it as a new version, and only then swaps it in; a file
/// that fails any check leaves the serving version in place and is recorded as <see cref="ServedModelStatus.LastError"/>.
/// </summary>
internal sealed class ServedModel : IDisposable
{
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer? _debounce;
    private readonly TimeSpan _delay;
    private readonly Action<ModelReloadEventArgs> _report;
    private readonly BundleLoadOptions? _options;
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _swap = new();
    private ModelVersion _current;
    private volatile ReloadError? _lastError;
    private volatile bool _disposed;

    private ServedModel(string name, string path, ModelVersion first, TimeSpan? reloadDelay, Action<ModelReloadEventArgs> report, BundleLoadOptions? options)
    {
        Name = name;
        _options = options;
        Path = path;
        _current = first;
        _report = report;
        _delay = reloadDelay ?? TimeSpan.Zero;
        if (reloadDelay is null) return;
        _debounce = new Timer(_ => _ = ReloadFromWatcherAsync(), null, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(System.IO.Path.GetDirectoryName(path)!)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        // No name filter: an atomic replace is a rename from a temporary name, which a filter on the old name could miss.
        _watcher.Changed += (_, e) => OnFileEvent(e.FullPath);
        _watcher.Created += (_, e) => OnFileEvent(e.FullPath);
        _watcher.Renamed += (_, e) => OnFileEvent(e.FullPath);
        _watcher.Error += (_, _) => Schedule();
        _watcher.EnableRaisingEvents = true;
    }

    public string Name { get; }
    public string Path { get; }

    /// <summary>Loads <paramref name="path"/>; <paramref name="reloadDelay"/> null means no watching.</summary>
    /// <exception cref="WorkbenchInputException">The file is missing or not a loadable bundle.</exception>
    public static ServedModel Open(string name, string path, TimeSpan? reloadDelay, Action<ModelReloadEventArgs> report, BundleLoadOptions? options)
    {
        var full = System.IO.Path.GetFullPath(path);
        var bytes = Read(full);
        var model = WorkbenchModel.FromBytes(full, bytes, options);
        try
        {
            model.Validate();
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new ServedModel(name, full, new ModelVersion(model, 1, Hash(bytes)), reloadDelay, report, options);
    }

    /// <summary>The version serving now, with a reference taken; the caller releases it.</summary>
    public ModelVersion Acquire()
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, typeof(WorkbenchModelPool));
            var current = Volatile.Read(ref _current);
            if (current.TryAcquire()) return current;
            // Retired between the read and the acquire: the next read sees its successor.
        }
    }

    public ServedModelStatus Status()
    {
        var current = Volatile.Read(ref _current);
        var error = _lastError;
        return new ServedModelStatus(Name, Path, current.Number, current.LoadedUtc, current.Sha256, current.Model.Manifest, error?.Message, error?.Utc);
    }

    /// <summary>Reloads from the file now: true when a new version serves, false when the file is unchanged.</summary>
    /// <exception cref="WorkbenchInputException">The file is missing, damaged or unsuitable; the serving version stays.</exception>
    public async Task<bool> ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, typeof(WorkbenchModelPool));
            var old = _current;
            WorkbenchModel? loaded = null;
            string hash;
            try
            {
                var bytes = await ReadAsync(Path, cancellationToken).ConfigureAwait(false);
                hash = Hash(bytes);
                if (hash == old.Sha256)
                {
                    _lastError = null;
                    return false;
                }
                loaded = WorkbenchModel.FromBytes(Path, bytes, _options);
                if (loaded.Task != old.Model.Task)
                    throw new WorkbenchInputException(
                        $"Model file '{Path}' now holds a {loaded.Manifest.Task} model, but '{Name}' serves a {old.Model.Manifest.Task} model; a reload keeps the task.");
                loaded.Validate();
            }
            catch (Exception e) when (e is WorkbenchInputException)
            {
                loaded?.Dispose();
                _lastError = new ReloadError(e.Message, DateTimeOffset.UtcNow);
                _report(new ModelReloadEventArgs(Name, Path, old.Number, e.Message));
                throw;
            }
            var next = new ModelVersion(loaded, old.Number + 1, hash);
            lock (_swap)
            {
                if (_disposed)
                {
                    loaded.Dispose();
                    throw new ObjectDisposedException(nameof(WorkbenchModelPool));
                }
                Volatile.Write(ref _current, next);
            }
            _lastError = null;
            old.Release(); // disposed now, or when its last request finishes
            _report(new ModelReloadEventArgs(Name, Path, next.Number, null));
            return true;
        }
        finally
        {
            _reloading.Release();
        }
    }

    private void OnFileEvent(string fullPath)
    {
        if (string.Equals(fullPath, Path, StringComparison.Ordinal)) Schedule();
    }

    // Debounce: a save raises several events; reload once they have been quiet for the delay.
    private void Schedule()
    {
        if (_disposed) return;
        try
        {
            _debounce?.Change(_delay, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Closed between the check and the call.
        }
    }

    private async Task ReloadFromWatcherAsync()
    {
        try
        {
            await ReloadAsync(_closing.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WorkbenchInputException or OperationCanceledException or ObjectDisposedException)
        {
            // Recorded and reported by ReloadAsync, or closing; the serving version stays.
        }
        catch (Exception e)
        {
            // Never let a reload fault the timer thread: record it and keep serving.
            var message = $"Model file '{Path}' could not be reloaded: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}";
            _lastError = new ReloadError(message, DateTimeOffset.UtcNow);
            _report(new ModelReloadEventArgs(Name, Path, Volatile.Read(ref _current).Number, message));
        }
    }

    private static byte[] Read(string path)
    {
        if (!File.Exists(path)) throw new WorkbenchInputException($"Model file '{path}' does not exist.");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchInputException($"Model file '{path}' cannot be read: {e.Message}", e);
        }
    }

    private static async Task<byte[]> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) throw new WorkbenchInputException($"Model file '{path}' does not exist.");
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchInputException($"Model file '{path}' cannot be read: {e.Message}", e);
        }
    }

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Stops watching and releases the pool's reference; requests still running finish on their version.</summary>
    public void Dispose()
    {
        lock (_swap)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _watcher?.Dispose();
        _debounce?.Dispose();
        // Not disposed: a reload still waiting on the token must see it cancelled, not disposed.
        _closing.Cancel();
        Volatile.Read(ref _current).Release();
    }

    private sealed record ReloadError(string Message, DateTimeOffset Utc);
}
