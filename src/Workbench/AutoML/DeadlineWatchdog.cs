namespace MLWorkbench.AutoML;

/// <summary>Cancels a token source at a deadline from a dedicated thread, which a starved thread pool cannot delay.</summary>
internal sealed class DeadlineWatchdog : IDisposable
{
    private readonly ManualResetEventSlim _done = new();
    private readonly Thread? _thread;

    public DeadlineWatchdog(CancellationTokenSource source, TimeSpan after)
    {
        if (after == Timeout.InfiniteTimeSpan) return;
        _thread = new Thread(() => { if (!_done.Wait(after)) source.Cancel(); }) { IsBackground = true, Name = "trial deadline" };
        _thread.Start();
    }

    public void Dispose()
    {
        _done.Set();
        // Cancel runs the token's continuations inline, so the trial may end (and dispose this) on the deadline thread
        // itself; it must not wait for itself. Another thread waits, so that no Cancel comes after the source is disposed.
        if (_thread is not null && _thread != Thread.CurrentThread) _thread.Join();
        _done.Dispose();
    }
}
