namespace MLWorkbench.AutoML;

/// <summary>
/// The one heartbeat loop of every lease (a trial's, a suite job's, a study's finalize claim): renew it every interval
/// until the work ends, and cancel the work the moment the store says the lease is gone.
/// </summary>
internal static class LeaseHeartbeat
{
    /// <summary>
    /// Calls <paramref name="beat"/> every <paramref name="interval"/> until <paramref name="stop"/>; cancels
    /// <paramref name="lost"/> and returns when it answers false (the lease expired and another worker may hold it).
    /// </summary>
    public static async Task RunAsync(Func<CancellationToken, Task<bool>> beat, TimeSpan interval, CancellationTokenSource lost, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                bool alive;
                try
                {
                    alive = await beat(stop).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A failed heartbeat (the database briefly unreachable) is tried again at the next tick; if the store
                    // stays away past the grace period, the lease expires and the next heartbeat says so.
                    continue;
                }
                if (!alive)
                {
                    await lost.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The work ended.
        }
    }
}
