using MLWorkbench.Bundles;

namespace MLWorkbench.Tests.Bundles;

public class ModelPoolTests
{
    private sealed class Copy : IDisposable
    {
        private int _users;

        public bool Disposed { get; private set; }

        /// <summary>Fails when two threads use the copy at once, which the pool must never allow.</summary>
        public int Use(Barrier? meet)
        {
            if (Interlocked.Increment(ref _users) != 1) throw new InvalidOperationException("a copy was shared between calls");
            meet?.SignalAndWait(TimeSpan.FromSeconds(10));
            Thread.Sleep(5);
            Interlocked.Decrement(ref _users);
            return 1;
        }

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public async Task Concurrent_calls_get_their_own_copy_and_never_more_than_the_limit()
    {
        var loaded = 0;
        using var pool = new ModelPool<Copy>(() => { Interlocked.Increment(ref loaded); return new Copy(); }, maxCopies: 3);
        Assert.Equal(1, loaded); // the first copy loads at once, so a damaged model fails at load
        using var meet = new Barrier(3);
        var threeAtOnce = Enumerable.Range(0, 3).Select(_ => Task.Run(() => pool.Use(meet, static (c, m) => c.Use(m)))).ToArray();
        await Task.WhenAll(threeAtOnce);
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ => pool.Use(static c => c.Use(null)));
        Assert.Equal(3, loaded);
        Assert.Equal(3, pool.Copies);
    }

    [Fact]
    public async Task Dispose_waits_for_the_call_in_flight_then_disposes_every_copy()
    {
        var copies = new List<Copy>();
        var pool = new ModelPool<Copy>(() => { var c = new Copy(); lock (copies) copies.Add(c); return c; }, maxCopies: 1);
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var call = Task.Run(() => pool.Use(c =>
        {
            started.Set();
            release.Wait(TimeSpan.FromSeconds(10));
            return c.Disposed;
        }));
        started.Wait(TimeSpan.FromSeconds(10));
        var disposing = Task.Run(pool.Dispose);
        await Task.Delay(100);
        Assert.False(disposing.IsCompleted);
        release.Set();
        Assert.False(await call); // the copy was not disposed under the running call
        await disposing;
        Assert.All(copies, c => Assert.True(c.Disposed));
        Assert.Throws<ObjectDisposedException>(() => pool.Use(static c => 0));
    }
}
