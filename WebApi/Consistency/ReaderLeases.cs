using System.Collections.Concurrent;
using OrleansRaw.Routing;

namespace OrleansRaw.WebApi.Consistency;

/// <summary>
/// The users' reader states this API server holds under lease from their grains, so that it routes their reads with no
/// grain call. A grain revokes every other server's copy before it acknowledges a write, and a copy is used only until
/// its lease runs out, counted from before it was asked for, so a copy is never trusted longer than the grain allows.
/// While another server serves the same user too (a shared lease), every read asks the grain and reports to it, so
/// neither server serves the user from behind what the other did.
/// </summary>
public sealed partial class ReaderLeases : IReaderLeaseHolder, IDisposable
{
    // How long a revocation or a share keeps older grants out: a grant asked for before it arrived is void by then (leases ≤ 10 s).
    private static readonly TimeSpan Memory = TimeSpan.FromSeconds(10);

    private readonly IGrainFactory _grains;
    private readonly TimeProvider _clock;
    private readonly ILogger<ReaderLeases> _logger;
    private readonly ConcurrentDictionary<long, Copy> _copies = new();
    private readonly ConcurrentDictionary<long, Task<Copy>> _asking = new();
    private readonly ConcurrentDictionary<long, long> _revokedAt = new();
    private readonly ConcurrentDictionary<long, long> _sharedAt = new();
    private readonly Lock _gate = new();
    private readonly Lazy<IReaderLeaseHolder> _self;
    private readonly ITimer _sweeper;

    public ReaderLeases(IGrainFactory grains, TimeProvider clock, ILogger<ReaderLeases> logger)
    {
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

    /// <summary>Records a committed write in the user's grain and keeps the fresh lease it returns.</summary>
    public async Task RecordWriteAsync(long userId, WriteRecord write)
    {
        var sent = _clock.GetTimestamp();
        var lease = await _grains.GetGrain<IUserConsistencyGrain>(userId).RecordWriteAsync(write, _self.Value);
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
        var served = ownData ? new SeenPositions(servedAt, WalPosition.Zero) : new SeenPositions(WalPosition.Zero, servedAt);
        if (_copies.TryGetValue(userId, out var copy))
        {
            copy.Saw(served, _clock.GetUtcNow());
            if (!copy.Shared)
            {
                return Task.CompletedTask; // the grain hears of it with the next lease, a revocation or the sweep
            }

            copy.Reported();
        }

        return _grains.GetGrain<IUserConsistencyGrain>(userId).NoteSeenAsync(served);
    }

    Task<SeenPositions> IReaderLeaseHolder.RevokeAsync(long userId, Guid epoch, long version)
    {
        Copy? copy;
        lock (_gate)
        {
            _revokedAt[userId] = _clock.GetTimestamp();
            _asking.TryRemove(userId, out _);
            _copies.TryRemove(userId, out copy);
        }

        return Task.FromResult(copy?.Seen ?? SeenPositions.None);
    }

    Task<SeenPositions> IReaderLeaseHolder.ShareAsync(long userId)
    {
        Copy? copy;
        lock (_gate)
        {
            _sharedAt[userId] = _clock.GetTimestamp();
            if (_copies.TryGetValue(userId, out copy))
            {
                copy.Shared = true;
            }
        }

        return Task.FromResult(copy?.Seen ?? SeenPositions.None);
    }

    public void Dispose() => _sweeper.Dispose();

    private async Task<Copy> LeaseAsync(long userId)
    {
        var sent = _clock.GetTimestamp();
        var served = _copies.TryGetValue(userId, out var old) ? old.Seen : SeenPositions.None;
        var lease = await _grains.GetGrain<IUserConsistencyGrain>(userId).LeaseAsync(_self.Value, served);
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

    // Drops copies whose lease ran out, telling the grain what they served if it has not heard; forgets old revocations.
    private void Sweep()
    {
        var now = _clock.GetTimestamp();
        foreach (var (userId, copy) in _copies)
        {
            if (copy.IsValidAt(now) || !_copies.TryRemove(new KeyValuePair<long, Copy>(userId, copy)) || !copy.Unreported)
            {
                continue;
            }

            _ = ReportAsync(userId, copy.Seen);
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

    private async Task ReportAsync(long userId, SeenPositions seen)
    {
        try
        {
            await _grains.GetGrain<IUserConsistencyGrain>(userId).NoteSeenAsync(seen);
        }
        catch (Exception ex)
        {
            LogReportFailed(_logger, userId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not report the positions served to user {UserId}: {Error}")]
    private static partial void LogReportFailed(ILogger logger, long userId, string error);

    /// <summary>One user's state as lent, in this server's clock, plus what was served here since.</summary>
    private sealed class Copy(Guid epoch, long version, ReaderState state, long askedAt, long validUntil, bool shared)
    {
        private readonly Lock _lock = new();
        private ReaderState _state = state;
        private volatile bool _shared = shared;
        private bool _unreported;

        public Guid Epoch => epoch;

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

        public SeenPositions Seen
        {
            get { lock (_lock) { return new SeenPositions(_state.SeenOwn.Position, _state.SeenOthers.Position); } }
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

        public void Saw(SeenPositions served, DateTimeOffset now)
        {
            lock (_lock)
            {
                _state = _state with
                {
                    SeenOwn = Known.Max(_state.SeenOwn, new Known(served.Own, now)),
                    SeenOthers = Known.Max(_state.SeenOthers, new Known(served.Others, now)),
                };
                _unreported = true;
            }
        }

        public void Reported() => Volatile.Write(ref _unreported, false);

        /// <summary>True when this grant is newer than <paramref name="held"/>: a later version of the same activation, or a later request.</summary>
        public bool Supersedes(Copy held) => held.Epoch == epoch ? version >= held.Version : askedAt >= held.AskedAt;

        /// <summary>This grant, keeping what <paramref name="held"/> served since its own grant.</summary>
        public Copy Keeping(Copy held)
        {
            var kept = held.State;
            lock (_lock)
            {
                _state = _state with { SeenOwn = Known.Max(_state.SeenOwn, kept.SeenOwn), SeenOthers = Known.Max(_state.SeenOthers, kept.SeenOthers) };
                _unreported |= held.Unreported;
            }

            return this;
        }

        // The grant's ages, turned into this server's clock: measured from receipt, so a position seems no older than it is.
        private static Known Local(AgedPosition position, DateTimeOffset now) =>
            position.Age is { } age ? new Known(position.Position, now - age) : new Known(position.Position, DateTimeOffset.MinValue);
    }
}
