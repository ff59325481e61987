using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The server side of the reader-lease protocol (docs/PROTOCOL.md): the users' states this API server holds under lease
/// from their grains, so that it routes their reads, and records their writes, with no grain call. A grain revokes
/// every other server's copy before it acknowledges a write, and a copy is used only until its lease runs out, counted
/// from before it was asked for, so a copy is never trusted longer than the grain allows. Writes recorded, and reads
/// served, under an exclusive copy reach the grain when it asks (a revocation, a second server), with the next lease
/// request, or when the copy expires; a grain that hears nothing by the end of a lease takes the primary's position.
/// A read served any other way (a shared lease, no decision, a copy that ran out during the read) reaches the grain
/// before its response leaves. Every grain call here has a deadline of its own (<see cref="ConsistencyOptions.DecisionTimeout"/>),
/// far under Orleans' response timeout, so a silo that dies mid-call costs a read one timeout, not thirty seconds.
/// </summary>
internal sealed partial class ReaderLeases : IReaderLeaseHolder, IDisposable
{
    // How long a revocation or a share keeps older grants out: a grant asked for before it arrived is void by then (leases ≤ 10 s).
    private static readonly TimeSpan Memory = TimeSpan.FromSeconds(10);

    // A read whose grant a revocation overtook asks again, this many times at most (within its decision timeout).
    private const int Attempts = 3;

    private readonly IGrainFactory _grains;
    private readonly TimeProvider _clock;
    private readonly IOptions<ConsistencyOptions> _options;
    private readonly ILogger<ReaderLeases> _logger;
    private readonly ReadYourWritesMetrics _instruments;
    private readonly ConcurrentDictionary<string, LeasedCopy> _copies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<LeasedCopy?>> _asking = new(StringComparer.Ordinal);
    private readonly ServedHere _served;
    private readonly ConcurrentDictionary<string, long> _revokedAt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _sharedAt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _unanswered = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Lazy<IReaderLeaseHolder> _self;
    private readonly ITimer _sweeper;

    public ReaderLeases(IGrainFactory grains, ReadYourWritesMetrics instruments, TimeProvider clock, IOptions<ConsistencyOptions> options,
        ILogger<ReaderLeases> logger)
    {
        _instruments = instruments;
        _grains = grains;
        _clock = clock;
        _options = options;
        _logger = logger;
        _served = new ServedHere(clock);
        _self = new(() => grains.CreateObjectReference<IReaderLeaseHolder>(this));
        _sweeper = clock.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>How many users' states this server holds.</summary>
    public int Count => _copies.Count;

    /// <summary>Always <see cref="ProtocolFlaws.None"/> but in the exploration tests.</summary>
    internal ProtocolFlaws Flaws { get; set; }

    private TimeSpan Deadline => _options.Value.DecisionTimeout;

    /// <summary>The user's reader state, from the copy held here or, when it ran out, from a new lease.</summary>
    public async ValueTask<ReaderState> StateAsync(string userId)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (_copies.TryGetValue(userId, out var copy) && !copy.Shared
                && (copy.IsValidAt(_clock.GetTimestamp()) || Flaws.HasFlag(ProtocolFlaws.TrustExpiredCopy)))
            {
                return _served.Floor(userId, copy.State);
            }

            // While the grain did not answer the last request in time and the next one is out, a read does not wait for
            // it too: one read a decision timeout probes, the others go to the primary at once.
            if (_unanswered.TryGetValue(userId, out var failedAt) && _clock.GetElapsedTime(failedAt) < Deadline && _asking.ContainsKey(userId))
            {
                throw new TimeoutException($"User {userId}'s grain did not answer a lease request within {Deadline.TotalMilliseconds:F0} ms.");
            }

            // Reads of one user that miss together share one request; a revocation starts the next one afresh, so no
            // read that began after a write was acknowledged waits on a grant older than the write.
            var asking = _asking.GetOrAdd(userId, LeaseAsync);
            try
            {
                // A grant is good only until its lease's end, counted from when it was asked for: one that arrives late
                // (a paused server, a slow silo) may have lapsed at the grain already.
                if (await asking is { } granted && (granted.IsValidAt(_clock.GetTimestamp()) || Flaws.HasFlag(ProtocolFlaws.TrustExpiredCopy)))
                {
                    return _served.Floor(userId, granted.State);
                }
            }
            finally
            {
                _asking.TryRemove(new KeyValuePair<string, Task<LeasedCopy?>>(userId, asking));
            }

            // A revocation overtook the grant (it may miss the write the revocation was for), or it came too late.
            if (attempt == Attempts)
            {
                throw new TimeoutException($"User {userId}'s lease grants were overtaken by a revocation or came too late {Attempts} times.");
            }
        }
    }

    /// <summary>
    /// Records a committed write: in this server's copy when it holds the user exclusively, else in the user's grain,
    /// keeping the fresh lease the grain returns.
    /// </summary>
    public async Task RecordWriteAsync(string userId, WriteRecord write)
    {
        var held = _copies.TryGetValue(userId, out var copy) ? copy : null;
        if (held is not null && held.TryRecordWrite(write.Position, _clock.GetTimestamp(), _clock.GetUtcNow()))
        {
            _instruments.LeaseEvent("write-in-copy");
            return;
        }

        var sent = _clock.GetTimestamp();
        var report = _served.Owed(userId, held?.Report ?? LeaseReport.None);
        var lease = await _grains.GetGrain<IUserConsistencyGrain>(userId).RecordWriteAsync(write, _self.Value, report);
        _served.Acknowledged(userId, report);
        _instruments.LeaseEvent("write-in-grain");
        if (lease is not null)
        {
            Install(userId, LeasedCopy.From(lease, sent, _clock));
        }
    }

    /// <summary>
    /// Notes how far a read served the user reached. Under this server's valid exclusive copy the grain hears of it
    /// later (it must ask this server before another may route the user); otherwise the grain hears of it before this
    /// returns, so the user's next read, on whichever server, starts from it. When the grain cannot be reached in time
    /// the position goes with this server's next call for the user and this throws: the read's consistency token still
    /// carries it to every server.
    /// </summary>
    public async Task NoteServedAsync(string userId, WalPosition servedAt, bool ownData)
    {
        var served = ownData ? new LeaseReport(servedAt, WalPosition.Zero) : new LeaseReport(WalPosition.Zero, servedAt);
        if (_copies.TryGetValue(userId, out var copy) && copy.TrySee(served, _clock.GetTimestamp(), _clock.GetUtcNow()))
        {
            return;
        }

        if (Flaws.HasFlag(ProtocolFlaws.IgnoreFallbackPosition) && copy is null)
        {
            return;
        }

        // Owed until the grain acknowledges it (ServedHere): a failed report goes with this server's next call for
        // the user, or with the sweep.
        _served.Noted(userId, served);
        var report = _served.Owed(userId, served);

        // Twice, within half the decision timeout in all (a read that had no decision has waited a whole one already):
        // a call that went out on a connection to a silo that just died hangs, while the next one takes another gateway.
        if (!await TryReportServedAsync(userId, report, Deadline / 4))
        {
            await _grains.GetGrain<IUserConsistencyGrain>(userId).ReportServedAsync(report, _self.Value).WaitAsync(Deadline / 4, _clock);
        }

        _served.Acknowledged(userId, report);
    }

    private async Task<bool> TryReportServedAsync(string userId, LeaseReport report, TimeSpan timeout)
    {
        try
        {
            await _grains.GetGrain<IUserConsistencyGrain>(userId).ReportServedAsync(report, _self.Value).WaitAsync(timeout, _clock);
            return true;
        }
        catch (Exception ex)
        {
            LogReportFailed(_logger, userId, ex.Message);
            return false;
        }
    }

    Task<LeaseReport> IReaderLeaseHolder.RevokeAsync(string userId, ActivationId epoch, long version)
    {
        _instruments.LeaseEvent("revoked");
        LeasedCopy? copy;
        lock (_gate)
        {
            _revokedAt[userId] = _clock.GetTimestamp();
            _asking.TryRemove(userId, out _);
            _copies.TryRemove(userId, out copy);
        }

        return Task.FromResult(_served.TakeOwed(userId, copy?.Revoke() ?? LeaseReport.None));
    }

    Task<LeaseReport> IReaderLeaseHolder.ShareAsync(string userId)
    {
        _instruments.LeaseEvent("shared");
        LeasedCopy? copy;
        lock (_gate)
        {
            _sharedAt[userId] = _clock.GetTimestamp();
            _copies.TryGetValue(userId, out copy);
        }

        return Task.FromResult(_served.TakeOwed(userId, copy?.Share() ?? LeaseReport.None));
    }

    public void Dispose() => _sweeper.Dispose();

    private async Task<LeasedCopy?> LeaseAsync(string userId)
    {
        var sent = _clock.GetTimestamp();
        var report = _served.Owed(userId, _copies.TryGetValue(userId, out var old) ? old.Report : LeaseReport.None);
        ReaderLease lease;
        try
        {
            lease = await _grains.GetGrain<IUserConsistencyGrain>(userId).LeaseAsync(_self.Value, report).WaitAsync(Deadline, _clock);
        }
        catch
        {
            _unanswered[userId] = _clock.GetTimestamp();
            throw;
        }

        _unanswered.TryRemove(userId, out _);
        _served.Acknowledged(userId, report);
        _instruments.LeaseEvent("granted");
        return Install(userId, LeasedCopy.From(lease, sent, _clock));
    }

    // The copy now held for the user when it is this grant (or one that supersedes it); null when a revocation overtook the grant.
    private LeasedCopy? Install(string userId, LeasedCopy copy)
    {
        lock (_gate)
        {
            // A revocation that arrived after the grant was asked for may be for a write the grant does not hold.
            if (_revokedAt.TryGetValue(userId, out var revoked) && revoked >= copy.AskedAt && !Flaws.HasFlag(ProtocolFlaws.InstallOvertakenGrant))
            {
                return null;
            }

            // Likewise a grant asked for before the grain made the lease shared may not say so.
            if (_sharedAt.TryGetValue(userId, out var shared) && shared >= copy.AskedAt)
            {
                copy.Shared = true;
            }

            return _copies.AddOrUpdate(userId, copy, (_, held) => copy.Supersedes(held) ? copy.Keeping(held) : held);
        }
    }

    // Drops copies whose lease ran out, first telling the grain what they wrote and served if it has not heard; sends
    // what could not be sent; forgets old revocations.
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
                _copies.TryRemove(new KeyValuePair<string, LeasedCopy>(userId, copy));
            }
        }

        foreach (var (userId, owed) in _served.AllOwed())
        {
            _ = SendOwedAsync(userId, owed);
        }

        _served.Forget();

        Forget(_revokedAt);
        Forget(_sharedAt);
        Forget(_unanswered);
    }

    private void Forget(ConcurrentDictionary<string, long> events)
    {
        foreach (var (userId, at) in events)
        {
            if (_clock.GetElapsedTime(at) > Memory)
            {
                events.TryRemove(new KeyValuePair<string, long>(userId, at));
            }
        }
    }

    // Removed only once the grain has all of it, so a write recorded in the copy is never in neither place.
    private async Task ReportExpiredAsync(string userId, LeasedCopy copy)
    {
        try
        {
            var (report, mark) = copy.ReportToSend();
            await _grains.GetGrain<IUserConsistencyGrain>(userId).ReportAsync(report).WaitAsync(Deadline, _clock);
            if (copy.Reported(mark))
            {
                _copies.TryRemove(new KeyValuePair<string, LeasedCopy>(userId, copy));
            }
        }
        catch (Exception ex)
        {
            LogReportFailed(_logger, userId, ex.Message);
        }
    }

    private async Task SendOwedAsync(string userId, LeaseReport owed)
    {
        try
        {
            await _grains.GetGrain<IUserConsistencyGrain>(userId).ReportServedAsync(owed, _self.Value).WaitAsync(Deadline, _clock);
            _served.Acknowledged(userId, owed);
        }
        catch (Exception ex)
        {
            LogReportFailed(_logger, userId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not report the positions served to user {UserId}: {Error}")]
    private static partial void LogReportFailed(ILogger logger, string userId, string error);
}
