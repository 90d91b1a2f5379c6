using System.Collections.Concurrent;
using MLWorkbench.Models;

namespace MLWorkbench.Bundles;

/// <summary>
/// Loaded copies of one model, each used by one thread at a time: neither ML.NET's prediction path (its MLContext
/// and cursors) nor a TorchSharp module's state is shared between concurrent calls. Copies are made on demand, up to
/// one per core; further callers wait for a free copy.
/// </summary>
internal sealed class ModelPool : IDisposable
{
    private readonly Func<ITrainedModel> _load;
    private readonly ConcurrentBag<ITrainedModel> _idle = [];
    private readonly ConcurrentQueue<ITrainedModel> _all = new();
    // Never disposed: a call finishing after Dispose must still be able to release its slot.
    private readonly SemaphoreSlim _slots;
    private volatile bool _disposed;

    /// <summary>Creates the pool with one copy loaded at once, so that a model that cannot load fails here.</summary>
    public ModelPool(Func<ITrainedModel> load, int maxCopies)
    {
        _load = load;
        _slots = new SemaphoreSlim(maxCopies, maxCopies);
        var first = load();
        _all.Enqueue(first);
        _idle.Add(first);
    }

    /// <summary>Copies loaded so far.</summary>
    public int Copies => _all.Count;

    /// <summary>Runs <paramref name="use"/> with a copy no other thread is using.</summary>
    public T Use<T>(Func<ITrainedModel, T> use) => Use(use, static (model, u) => u(model));

    /// <summary>Runs <paramref name="use"/> with a copy no other thread is using and <paramref name="state"/> (a static lambda allocates nothing per call).</summary>
    public T Use<TState, T>(TState state, Func<ITrainedModel, TState, T> use)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _slots.Wait();
        ITrainedModel? model = null;
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

    /// <summary>Disposes every copy; predictions still running when this is called may fail.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        while (_all.TryDequeue(out var model)) model.Dispose();
    }
}
