using Microsoft.Extensions.Options;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.Routing;

namespace OrleansRaw.Grains.Users;

/// <summary>
/// Where a new activation of a user's grain starts the reader's floor for others' data: the primary's position at the
/// latest moment an earlier activation of the same user could still have been serving them. An earlier activation
/// ended either idle — no call for <see cref="ConsistencyOptions.IdleDeactivation"/>, and nothing is served from a copy
/// more than a lease after a call — or with its silo (killed or stopped), which this silo sees leave the membership.
/// The primary's position now would do too, but it sends every read of others' data to the primary until the replicas
/// replay it, and each such read moves the floor on again; a position from the past is one the replicas already have.
/// </summary>
internal sealed class ActivationFloor(IPrimaryPosition primary, TimeProvider clock, IOptions<ConsistencyOptions> options)
{
    // A sample's position was read by the replica monitor up to a poll and a delivery before this silo took it in.
    private static readonly TimeSpan SampleDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(2.5);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private const int Capacity = 2_048;

    private readonly Lock _gate = new();
    private readonly (long At, WalPosition Position)[] _samples = new (long, WalPosition)[Capacity];
    private int _count;
    private int _next;
    private long _lastDeparture = long.MinValue;

    /// <summary>The primary's position as this silo learned it (from the replica snapshot), at <paramref name="timestamp"/>.</summary>
    public void Sampled(WalPosition position, long timestamp)
    {
        lock (_gate)
        {
            _samples[_next] = (timestamp, position);
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
        }
    }

    /// <summary>A silo left the cluster (declared dead or shutting down), as this silo learned at <paramref name="timestamp"/>.</summary>
    public void SiloLeft(long timestamp)
    {
        lock (_gate)
        {
            _lastDeparture = Math.Max(_lastDeparture, timestamp);
        }
    }

    /// <summary>
    /// The floor for others' data of an activation starting now: a sampled position when one is late enough; when the
    /// sample it needs is due within <see cref="MaxWait"/> (an activation right after a silo's death), it waits for it;
    /// else the primary's current position.
    /// </summary>
    public async Task<WalPosition> OthersAsync()
    {
        var started = clock.GetTimestamp();
        while (true)
        {
            var now = clock.GetTimestamp();
            var needed = LatestServed(now) + clock.TimestampTicks(SampleDelay);
            lock (_gate)
            {
                if (SampleAtOrAfter(needed, now) is { } position)
                {
                    return position;
                }
            }

            if (needed > started + clock.TimestampTicks(MaxWait) || clock.GetElapsedTime(started) >= MaxWait)
            {
                return await primary.ReadAsync();
            }

            await Task.Delay(Poll, clock);
        }
    }

    // The latest moment an earlier activation could have served the user: an idle one's last call was at least the
    // idle time ago (and its copies live a lease longer); a dead silo's activations served until the silo died, which
    // is before this silo saw it leave, and their copies a lease longer (a copy takes a read's position only while valid).
    private long LatestServed(long now)
    {
        var lease = options.Value.ReaderLease;
        var idle = now - clock.TimestampTicks(options.Value.IdleDeactivation) + clock.TimestampTicks(lease * 2);
        lock (_gate)
        {
            return _lastDeparture == long.MinValue ? idle : Math.Max(idle, _lastDeparture + clock.TimestampTicks(lease));
        }
    }

    // The oldest sample taken at or after `from` (and not after `now`): the primary had reached it by then.
    private WalPosition? SampleAtOrAfter(long from, long now)
    {
        WalPosition? found = null;
        for (var i = 1; i <= _count; i++)
        {
            var (at, position) = _samples[(_next - i + Capacity) % Capacity];
            if (at < from)
            {
                break;
            }

            if (at <= now)
            {
                found = position;
            }
        }

        return found;
    }
}
