namespace MLWorkbench.Tests;

/// <summary>
/// A clock that moves one second each time it is read: a time-planned fit sees the same seconds per step on every run,
/// however fast or busy the machine is.
/// </summary>
internal sealed class TickingClock : TimeProvider
{
    private long _ticks;

    public double Seconds => TimeSpan.FromTicks(Interlocked.Read(ref _ticks)).TotalSeconds;
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => Interlocked.Add(ref _ticks, TimeSpan.TicksPerSecond);
}
