using Microsoft.Extensions.Logging;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.Routing;

namespace OrleansRaw.Grains.Users;

/// <summary>
/// Holds one user's last write and how far their reads reached, and lends that state to API servers so they route
/// the user's reads without a call here. Nothing is stored outside this activation: an activation starts the user's
/// own data from the primary's current position, which is at or past every write the user ever committed and every
/// position their own reads were ever served, so losing an activation (a silo's death, idle deactivation) can only
/// make the user's next own reads more careful, never stale.
/// </summary>
public sealed partial class UserConsistencyGrain(
    SiloReplicaSnapshots snapshots,
    PrimaryPosition primary,
    RoutingPolicy policy,
    TimeProvider clock,
    ILogger<UserConsistencyGrain> logger) : Grain, IUserConsistencyGrain
{
    private readonly Guid _epoch = Guid.NewGuid();
    private readonly ReaderLeaseBook _leases = new();
    private ReaderState _reader = ReaderState.None;
    private long _writes;

    private TimeSpan LeaseDuration => policy.Options.ReaderLease;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Read in the activation, before any call is served: a write recorded in an earlier activation committed
        // before it was recorded, so it lies at or before this position. Leases an earlier activation granted ran
        // out before this one could exist: a lease is shorter than the time membership takes to declare a silo dead.
        var floor = new Known(await primary.ReadAsync().WaitAsync(cancellationToken), clock.GetUtcNow());

        // Others' data starts from nothing: a floor at the primary's position would send every read of others' data
        // to the primary for a lag's length, and each such read would move the floor on again. What an API server's
        // copy served the user reaches this activation with that server's next lease request or report.
        _reader = new ReaderState(floor, floor, Known.Nothing);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        RevokeAsync(except: null);

    public async Task<ReaderLease?> RecordWriteAsync(WriteRecord write, IReaderLeaseHolder? writer)
    {
        // Requests of one user can commit in one order and arrive here in another: keep the latest position. Its time
        // is this silo's, so the policy never compares two machines' clocks.
        _reader = _reader with { LastWrite = Known.Max(_reader.LastWrite, new Known(write.Position, clock.GetUtcNow())) };
        _writes++;

        // The write is acknowledged only after this returns, so no server may still route from a state without it.
        await RevokeAsync(except: writer);
        return writer is null ? null : Grant(writer);
    }

    public async Task<ReaderLease> LeaseAsync(IReaderLeaseHolder holder, SeenPositions served)
    {
        Merge(served);
        if (policy.Options.MonotonicReads)
        {
            // A second server starts serving this user: what the first served must reach it now, and from now on both
            // ask here for every read and report it, so neither serves the user from behind what the other did.
            foreach (var other in _leases.StartSharing(holder, clock.GetUtcNow()))
            {
                try
                {
                    Merge(await other.ShareAsync(this.GetPrimaryKeyLong()).WaitAsync(LeaseDuration));
                }
                catch (Exception ex)
                {
                    LogHolderUnreachable(logger, this.GetPrimaryKeyLong(), "share", ex.Message);
                }
            }
        }

        return Grant(holder);
    }

    public Task<RoutingDecision> RouteReadAsync(ReadRequest request) =>
        Task.FromResult(policy.Decide(request, _reader, snapshots.Current, clock.GetUtcNow()));

    public Task NoteSeenAsync(SeenPositions served)
    {
        Merge(served);
        return Task.CompletedTask;
    }

    public Task<UserConsistencyView> GetViewAsync() =>
        Task.FromResult(new UserConsistencyView(this.GetPrimaryKeyLong(), new WriteRecord(_reader.LastWrite.Position, _reader.LastWrite.At), _writes,
            RuntimeIdentity, WalPosition.Latest(_reader.SeenOwn.Position, _reader.SeenOthers.Position)));

    private ReaderLease Grant(IReaderLeaseHolder holder)
    {
        var now = clock.GetUtcNow();
        var shared = _leases.Grant(holder, now + LeaseDuration, now);
        return new ReaderLease(_epoch, _writes, Aged(_reader.LastWrite, now), Aged(_reader.SeenOwn, now), Aged(_reader.SeenOthers, now),
            LeaseDuration, shared);
    }

    private async Task RevokeAsync(IReaderLeaseHolder? except)
    {
        var holders = _leases.TakeAllBut(except, clock.GetUtcNow());
        if (holders.Count > 0)
        {
            await Task.WhenAll(holders.Select(h => RevokeOneAsync(h.Holder, h.Until)));
        }
    }

    private async Task RevokeOneAsync(IReaderLeaseHolder holder, DateTimeOffset until)
    {
        try
        {
            Merge(await holder.RevokeAsync(this.GetPrimaryKeyLong(), _epoch, _writes).WaitAsync(until - clock.GetUtcNow(), clock));
        }
        catch (Exception ex)
        {
            // A holder that cannot be told stops using the state when its lease runs out, which it counts from before
            // this grain granted it: waiting until then is as good as its answer.
            LogHolderUnreachable(logger, this.GetPrimaryKeyLong(), "revoke", ex.Message);
            var left = until - clock.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, clock);
            }
        }
    }

    private void Merge(SeenPositions served)
    {
        var now = clock.GetUtcNow();
        _reader = _reader with
        {
            SeenOwn = Known.Max(_reader.SeenOwn, new Known(served.Own, now)),
            SeenOthers = Known.Max(_reader.SeenOthers, new Known(served.Others, now)),
        };
    }

    private static AgedPosition Aged(Known known, DateTimeOffset now) =>
        new(known.Position, known.At == DateTimeOffset.MinValue ? null : now > known.At ? now - known.At : TimeSpan.Zero);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: a lease holder did not answer ({Call}): {Error}")]
    private static partial void LogHolderUnreachable(ILogger logger, long userId, string call, string error);
}
