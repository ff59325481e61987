using System.Collections.Concurrent;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The users' reader states this API server holds under lease from their grains, so that it routes their reads, and
/// records their writes, with no grain call. A grain revokes every other server's copy before it acknowledges a write,
/// and a copy is used only until its lease runs out, counted from before it was asked for, so a copy is never trusted
/// longer than the grain allows. Writes recorded in an exclusive copy reach the grain when it asks (a revocation, a
/// second server), with the next lease request, or when the copy expires; a grain that hears nothing by the end of a
/// lease takes the primary's position as the user's last write. While another server serves the same user too (a
/// shared lease), every read asks the grain and reports to it and every write is recorded there.
/// </summary>
public sealed partial class ReaderLeases : IReaderLeaseHolder, IDisposable
{
    // How long a revocation or a share keeps older grants out: a grant asked for before it arrived is void by then (leases ≤ 10 s).
    private static readonly TimeSpan Memory = TimeSpan.FromSeconds(10);

    private readonly IGrainFactory _grains;
    private readonly TimeProvider _clock;
    private readonly ILogger<ReaderLeases> _logger;
    private readonly ReadYourWritesMetrics _instruments;
    private readonly ConcurrentDictionary<long, Copy> _copies = new();
    private readonly ConcurrentDictionary<long, Task<Copy>> _asking = new();
    private readonly ConcurrentDictionary<long, long> _revokedAt = new();
    private readonly ConcurrentDictionary<long, long> _sharedAt = new();
    private readonly Lock _gate = new();
    private readonly Lazy<IReaderLeaseHolder> _self;
    private readonly ITimer _sweeper;

    public ReaderLeases(IGrainFactory grains, ReadYourWritesMetrics instruments, TimeProvider clock, ILogger<ReaderLeases> logger)
    {
        _instruments = instruments;
        _grains = grains;
        _clock = clock;
        _logger = logger;
        _self = new(() => grains.CreateObjectReference<IReaderLeaseHolder>(this));
        _sweeper = clock.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>How many users' states this server holds.</summary>
    public int Count => _copies.Count;

    /// <summary>The user's reader state, from the copy held here or, when it ran out, from a new lease.</summary>
    public async ValueTask<ReaderState> StateAsync(long userId)
    {
        if (_copies.TryGetValue(userId, out var copy) && !copy.Shared && copy.IsValidAt(_clock.GetTimestamp()))
        {
            return copy.State;
        }

        // Reads of one user that miss together share one request; a revocation starts the next one afresh, so no read
        // that began after a write was acknowledged waits on a grant older than the write.
        var asking = _asking.GetOrAdd(userId, LeaseAsync);
        try
        {
            return (await asking).State;
        }
        finally
        {
            _asking.TryRemove(new KeyValuePair<long, Task<Copy>>(userId, asking));
        }
    }

    /// <summary>
    /// Records a committed write: in this server's copy when it holds the user exclusively, else in the user's grain,
    /// keeping the fresh lease the grain returns.
    /// </summary>
    public async Task RecordWriteAsync(long userId, WriteRecord write)
    {
        var held = _copies.TryGetValue(userId, out var copy) ? copy : null;
        if (held is not null && held.TryRecordWrite(write.Position, _clock.GetTimestamp(), _clock.GetUtcNow()))
        {
            _instruments.LeaseEvent("write-in-copy");
            return;
        }

        var sent = _clock.GetTimestamp();
        var lease = await _grains.GetGrain<IUserConsistencyGrain>(userId).RecordWriteAsync(write, _self.Value, held?.Report ?? LeaseReport.None);
        _instruments.LeaseEvent("write-in-grain");
        if (lease is not null)
        {
            Install(userId, Copy.From(lease, sent, _clock));
        }
    }

    /// <summary>
    /// Notes how far a read served the user reached. While the lease is shared (or this server holds none) the grain
    /// hears of it before the response leaves, so the user's next read, on whichever server, starts from it.
    /// </summary>
    public Task NoteServedAsync(long userId, WalPosition servedAt, bool ownData)
    {
        var served = ownData ? new LeaseReport(servedAt, WalPosition.Zero) : new LeaseReport(WalPosition.Zero, servedAt);
        if (_copies.TryGetValue(userId, out var copy))
        {
            copy.Saw(served, _clock.GetUtcNow());
            if (!copy.Shared)
            {
                return Task.CompletedTask; // the grain hears of it with the next lease, a revocation or the sweep
            }

            copy.Reported();
        }

        return _grains.GetGrain<IUserConsistencyGrain>(userId).ReportAsync(served);
    }

    Task<LeaseReport> IReaderLeaseHolder.RevokeAsync(long userId, ActivationId epoch, long version)
    {
        _instruments.LeaseEvent("revoked");
        Copy? copy;
        lock (_gate)
        {
            _revokedAt[userId] = _clock.GetTimestamp();
            _asking.TryRemove(userId, out _);
            _copies.TryRemove(userId, out copy);
        }

        return Task.FromResult(copy?.Revoke() ?? LeaseReport.None);
    }

    Task<LeaseReport> IReaderLeaseHolder.ShareAsync(long userId)
    {
        _instruments.LeaseEvent("shared");
        Copy? copy;
        lock (_gate)
        {
            _sharedAt[userId] = _clock.GetTimestamp();
            _copies.TryGetValue(userId, out copy);
        }

        return Task.FromResult(copy?.Share() ?? LeaseReport.None);
    }

    public void Dispose() => _sweeper.Dispose();

    private async Task<Copy> LeaseAsync(long userId)
    {
        var sent = _clock.GetTimestamp();
        var report = _copies.TryGetValue(userId, out var old) ? old.Report : LeaseReport.None;
        var lease = await _grains.GetGrain<IUserConsistencyGrain>(userId).LeaseAsync(_self.Value, report);
        _instruments.LeaseEvent("granted");
        var copy = Copy.From(lease, sent, _clock);
        Install(userId, copy);
        return copy;
    }

    private void Install(long userId, Copy copy)
    {
        lock (_gate)
        {
            // A revocation that arrived after the grant was asked for may be for a write the grant does not hold.
            if (_revokedAt.TryGetValue(userId, out var revoked) && revoked >= copy.AskedAt)
            {
                return;
            }

            // Likewise a grant asked for before the grain made the lease shared may not say so.
            if (_sharedAt.TryGetValue(userId, out var shared) && shared >= copy.AskedAt)
            {
                copy.Shared = true;
            }

            _copies.AddOrUpdate(userId, copy, (_, held) => copy.Supersedes(held) ? copy.Keeping(held) : held);
        }
    }

    // Drops copies whose lease ran out, first telling the grain what they wrote and served if it has not heard;
    // forgets old revocations.
    private void Sweep()
    {
        var now = _clock.GetTimestamp();
        foreach (var (userId, copy) in _copies)
        {
            if (copy.IsValidAt(now))
            {
                continue;
            }

            if (copy.Unreported)
            {
                _ = ReportExpiredAsync(userId, copy);
            }
            else
            {
                _copies.TryRemove(new KeyValuePair<long, Copy>(userId, copy));
            }
        }

        Forget(_revokedAt);
        Forget(_sharedAt);
    }

    private void Forget(ConcurrentDictionary<long, long> events)
    {
        foreach (var (userId, at) in events)
        {
            if (_clock.GetElapsedTime(at) > Memory)
            {
                events.TryRemove(new KeyValuePair<long, long>(userId, at));
            }
        }
    }

    // Removed only once the grain has it, so a write recorded in the copy is never in neither place.
    private async Task ReportExpiredAsync(long userId, Copy copy)
    {
        try
        {
            await _grains.GetGrain<IUserConsistencyGrain>(userId).ReportAsync(copy.Report);
            copy.Reported();
            _copies.TryRemove(new KeyValuePair<long, Copy>(userId, copy));
        }
        catch (Exception ex)
        {
            LogReportFailed(_logger, userId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not report the positions served to user {UserId}: {Error}")]
    private static partial void LogReportFailed(ILogger logger, long userId, string error);

    /// <summary>One user's state as lent, in this server's clock, plus what was served here since.</summary>
    private sealed class Copy(ActivationId epoch, long version, ReaderState state, long askedAt, long validUntil, bool shared)
    {
        private readonly Lock _lock = new();
        private ReaderState _state = state;
        private volatile bool _shared = shared;
        private bool _revoked;
        private bool _unreported;

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

        public static Copy From(ReaderLease lease, long askedAt, TimeProvider clock)
        {
            var now = clock.GetUtcNow();
            var state = new ReaderState(Local(lease.LastWrite, now), Local(lease.SeenOwn, now), Local(lease.SeenOthers, now));
            var validUntil = askedAt + (long)(lease.Duration.TotalSeconds * clock.TimestampFrequency);
            return new Copy(lease.Epoch, lease.Version, state, askedAt, validUntil, lease.Shared);
        }

        public bool IsValidAt(long timestamp) => timestamp < validUntil;

        /// <summary>Records a write in the copy, if it is still the user's only, valid, unrevoked copy; false otherwise.</summary>
        public bool TryRecordWrite(WalPosition position, long timestamp, DateTimeOffset now)
        {
            lock (_lock)
            {
                // Decided under the lock a revocation or a share takes, so the write is either in what they report or
                // goes to the grain.
                if (_shared || _revoked || !IsValidAt(timestamp))
                {
                    return false;
                }

                _state = _state with { LastWrite = Known.Max(_state.LastWrite, new Known(position, now)) };
                _unreported = true;
                return true;
            }
        }

        /// <summary>Marks the copy revoked (no write may be recorded in it from now on) and returns its report.</summary>
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

        public void Saw(LeaseReport served, DateTimeOffset now)
        {
            lock (_lock)
            {
                _state = ReaderState.Max(_state, ReaderState.Of(served, now));
                _unreported = true;
            }
        }

        public void Reported() => Volatile.Write(ref _unreported, false);

        /// <summary>True when this grant is newer than <paramref name="held"/>: a later version of the same activation, or a later request.</summary>
        public bool Supersedes(Copy held) => held.Epoch == epoch ? version >= held.Version : askedAt >= held.AskedAt;

        /// <summary>This grant, keeping what <paramref name="held"/> wrote and served since its own grant; <paramref name="held"/> takes no more writes.</summary>
        public Copy Keeping(Copy held)
        {
            var (kept, unreported) = held.Retire();
            lock (_lock)
            {
                _state = ReaderState.Max(_state, kept);
                _unreported |= unreported;
            }

            return this;
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
}
