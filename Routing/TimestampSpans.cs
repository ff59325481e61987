namespace OrleansRaw.Routing;

/// <summary>Time spans as a <see cref="TimeProvider"/>'s monotonic timestamps, which lease ends are kept in.</summary>
internal static class TimestampSpans
{
    /// <summary><paramref name="span"/> in units of <paramref name="clock"/>'s <see cref="TimeProvider.GetTimestamp"/>.</summary>
    public static long TimestampTicks(this TimeProvider clock, TimeSpan span) => (long)(span.TotalSeconds * clock.TimestampFrequency);
}
