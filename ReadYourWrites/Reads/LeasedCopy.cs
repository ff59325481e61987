namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// One user's state as an API server holds it under a lease (docs/PROTOCOL.md), plus what was written and served under
/// it since. I/O-free: times are the server's monotonic timestamps and its wall clock, passed in. A copy is valid
/// until its lease's duration after the server asked for it (before the grain granted it, so never longer than the
/// grain allows), and is used for routing only while valid, unrevoked and exclusive.
/// </summary>
internal sealed class LeasedCopy(ActivationId epoch, long version, ReaderState state, long askedAt, long validUntil, bool shared)
{
    private readonly Lock _lock = new();
    private ReaderState _state = state;
    private volatile bool _shared = shared;
    private bool _revoked;
    private bool _unreported;
    private long _changes;

    public ActivationId Epoch => epoch;

    public long Version => version;

    public long AskedAt => askedAt;

    public bool Shared
    {
        get => _shared;
        set => _shared = value;
    }

    public ReaderState State
    {
        get { lock (_lock) { return _state; } }
    }

    /// <summary>What was written and served under this copy (as far as the grain may not know it).</summary>
    public LeaseReport Report
    {
        get { lock (_lock) { return _state.Report; } }
    }

    public bool Unreported => Volatile.Read(ref _unreported);

    /// <summary>The copy a grant makes, asked for at <paramref name="askedAt"/> (a timestamp of <paramref name="clock"/>).</summary>
    public static LeasedCopy From(ReaderLease lease, long askedAt, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var state = new ReaderState(Local(lease.LastWrite, now), Local(lease.SeenOwn, now), Local(lease.SeenOthers, now));
        var validUntil = askedAt + clock.TimestampTicks(lease.Duration);
        return new LeasedCopy(lease.Epoch, lease.Version, state, askedAt, validUntil, lease.Shared);
    }

    public bool IsValidAt(long timestamp) => timestamp < validUntil;

    /// <summary>Records a write in the copy, if it is still the user's only, valid, unrevoked copy; false otherwise.</summary>
    public bool TryRecordWrite(WalPosition position, long timestamp, DateTimeOffset now) =>
        TryTake(new ReaderState(new Known(position, now), Known.Nothing, Known.Nothing), timestamp);

    /// <summary>
    /// Notes how far a read served reached, if this is still the user's only, valid, unrevoked copy (then the grain
    /// hears of it before any other server may route the user: a revocation, a share, or a lapse it accounts for by
    /// the primary's position); false otherwise, and the position must reach the grain before the response leaves.
    /// </summary>
    public bool TrySee(LeaseReport served, long timestamp, DateTimeOffset now) => TryTake(ReaderState.Of(served, now), timestamp);

    /// <summary>Marks the copy revoked (nothing may be recorded in it from now on) and returns its report.</summary>
    public LeaseReport Revoke()
    {
        lock (_lock)
        {
            _revoked = true;
            _unreported = false;
            return _state.Report;
        }
    }

    /// <summary>Marks the copy shared (reads ask the grain, writes go there) and returns its report.</summary>
    public LeaseReport Share()
    {
        lock (_lock)
        {
            _shared = true;
            _unreported = false;
            return _state.Report;
        }
    }

    /// <summary>The report to send after the copy ran out, and a mark to pass to <see cref="Reported"/> once the grain has it.</summary>
    public (LeaseReport Report, long Mark) ReportToSend()
    {
        lock (_lock)
        {
            return (_state.Report, _changes);
        }
    }

    /// <summary>The grain has the report taken at <paramref name="mark"/>: false when something was recorded since (report again).</summary>
    public bool Reported(long mark)
    {
        lock (_lock)
        {
            if (_changes != mark)
            {
                return false;
            }

            _unreported = false;
            return true;
        }
    }

    /// <summary>True when this grant is newer than <paramref name="held"/>: a later version of the same activation, or a later request.</summary>
    public bool Supersedes(LeasedCopy held) => held.Epoch == epoch ? version >= held.Version : askedAt >= held.AskedAt;

    /// <summary>This grant, keeping what <paramref name="held"/> wrote and served since its own grant; <paramref name="held"/> takes no more writes.</summary>
    public LeasedCopy Keeping(LeasedCopy held)
    {
        var (kept, unreported) = held.Retire();
        lock (_lock)
        {
            _state = ReaderState.Max(_state, kept);
            _unreported |= unreported;
            _changes++;
        }

        return this;
    }

    private bool TryTake(ReaderState taken, long timestamp)
    {
        lock (_lock)
        {
            // Decided under the lock a revocation or a share takes, so what is taken is either in what they report or
            // goes to the grain.
            if (_shared || _revoked || !IsValidAt(timestamp))
            {
                return false;
            }

            _state = ReaderState.Max(_state, taken);
            _unreported = true;
            _changes++;
            return true;
        }
    }

    private (ReaderState State, bool Unreported) Retire()
    {
        lock (_lock)
        {
            _revoked = true;
            return (_state, _unreported);
        }
    }

    // The grant's ages, turned into this server's clock: measured from receipt, so a position seems no older than it is.
    private static Known Local(AgedPosition position, DateTimeOffset now) =>
        position.Age is { } age ? new Known(position.Position, now - age) : new Known(position.Position, DateTimeOffset.MinValue);
}
