using System.Collections.Concurrent;

namespace MLWorkbench.Bundles;

/// <summary>
/// Loaded copies of one model, each used by one thread at a time: neither ML.NET's prediction path (its MLContext,
/// cursors and prediction engines) nor a TorchSharp module's state is shared between concurrent calls. Copies are
/// loaded on demand, up to <c>maxCopies</c>; further callers wait for a free one. Every served model goes through
/// one: tabular models with a copy per core, image/text/pair models with a copy per core when small and one copy when
/// large (see <see cref="ColumnServing"/>).
/// </summary>
/// <typeparam name="TModel">The loaded model.</typeparam>
internal sealed class ModelPool<TModel> : IDisposable where TModel : class, IDisposable
{
    private readonly Func<TModel> _load;
    private readonly int _maxCopies;
    private readonly ConcurrentBag<TModel> _idle = [];
    private readonly ConcurrentQueue<TModel> _all = new();
    // One slot per copy: at most that many calls run at once, so at most that many copies are ever loaded. Never
    // disposed: a call finishing after Dispose must still be able to release its slot.
    private readonly SemaphoreSlim _slots;
    private volatile bool _disposed;

    /// <summary>
    /// Creates the pool with one copy loaded at once (<paramref name="first"/>, or one from <paramref name="load"/>),
    /// so that a model that cannot load fails here rather than on the first prediction.
    /// </summary>
    public ModelPool(Func<TModel> load, int maxCopies, TModel? first = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCopies, 1);
        _load = load;
        _maxCopies = maxCopies;
        _slots = new SemaphoreSlim(maxCopies, maxCopies);
        first ??= load();
        _all.Enqueue(first);
        _idle.Add(first);
    }

    /// <summary>Copies loaded so far.</summary>
    public int Copies => _all.Count;

    /// <summary>Runs <paramref name="use"/> with a copy no other thread is using.</summary>
    public T Use<T>(Func<TModel, T> use) => Use(use, static (model, u) => u(model));

    /// <summary>Runs <paramref name="use"/> with a copy no other thread is using and <paramref name="state"/> (a static lambda allocates nothing per call).</summary>
    public T Use<TState, T>(TState state, Func<TModel, TState, T> use)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _slots.Wait();
        TModel? model = null;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_idle.TryTake(out model))
            {
                model = _load();
                _all.Enqueue(model);
            }
            return use(model, state);
        }
        finally
        {
            if (model is not null) _idle.Add(model);
            _slots.Release();
        }
    }

    /// <summary>Waits for the calls in flight (each holds a slot until its copy is back), then disposes every copy.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (var i = 0; i < _maxCopies; i++) _slots.Wait();
        while (_all.TryDequeue(out var model)) model.Dispose();
        // Later callers get their slot and then the ObjectDisposedException, instead of waiting forever.
        _slots.Release(_maxCopies);
    }
}
