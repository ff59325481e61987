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
[GrainDirectory(Hosting.SingleActivation.DirectoryName)]
public sealed partial class UserConsistencyGrain(UserGrainServices services) : Grain, IUserConsistencyGrain
{
    // A silo holds one of these per active user, so every field counts: the services sit behind one reference, and
    // the activation's own id (Orleans holds it anyway) is the epoch of the leases it grants. (Taking IGrainContext
    // instead of deriving from Grain would save a reference but resolves it from the activation's service scope, whose
    // cache then costs ~200 bytes more per grain.)
    private ReaderState _reader = ReaderState.None;
    private long _writes;

    // A struct, so the grain holds it inline; never readonly and never copied, or a change would land on a copy.
    private ReaderLeaseBook _leases = new();

    private TimeProvider Clock => services.Clock;

    private TimeSpan LeaseDuration => services.Policy.Options.ReaderLease;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Read in the activation, before any call is served: a write recorded in an earlier activation committed
        // before it was recorded, so it lies at or before this position. Leases an earlier activation granted ran
        // out before this one could exist: a lease is shorter than the time membership takes to declare a silo dead.
        var floor = new Known(await services.Primary.ReadAsync().WaitAsync(cancellationToken), Clock.GetUtcNow());

        // Others' data starts from nothing: a floor at the primary's position would send every read of others' data
        // to the primary for a lag's length, and each such read would move the floor on again. What an API server's
        // copy served the user reaches this activation with that server's next lease request or report.
        _reader = new ReaderState(floor, floor, Known.Nothing);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        RevokeAsync(except: null);

    public async Task<ReaderLease?> RecordWriteAsync(WriteRecord write, IReaderLeaseHolder? writer, LeaseReport report)
    {
        // Requests of one user can commit in one order and arrive here in another: keep the latest position. Its time
        // is this silo's, so the policy never compares two machines' clocks.
        _writes++;
        Merge(report with { LastWrite = WalPosition.Latest(report.LastWrite, write.Position) });
        if (writer is not null)
        {
            _leases.Renewing(writer, Clock.GetUtcNow());
        }

        // The write is acknowledged only after this returns, so no server may still route from a state without it.
        await RevokeAsync(except: writer);
        return writer is null ? null : await GrantAsync(writer);
    }

    public async Task<ReaderLease> LeaseAsync(IReaderLeaseHolder holder, LeaseReport report)
    {
        Merge(report);
        _leases.Renewing(holder, Clock.GetUtcNow());

        // A second server starts serving this user: what the first wrote and served must reach it now, and from now
        // on both ask here for every read and record every write here.
        var sharing = _leases.StartSharing(holder, Clock.GetUtcNow());
        if (sharing.Count > 0)
        {
            await Task.WhenAll(sharing.Select(h => ShareOneAsync(h.Holder, h.Until)));
        }

        return await GrantAsync(holder);
    }

    public async Task<RoutingDecision> RouteReadAsync(ReadRequest request)
    {
        // Decided here, so no server's copy may hold a write this activation has not heard of.
        await RevokeAsync(except: null);
        return services.Policy.Decide(request, _reader, services.Snapshots.Current, Clock.GetUtcNow());
    }

    public Task ReportAsync(LeaseReport report)
    {
        Merge(report);
        return Task.CompletedTask;
    }

    public Task<UserConsistencyView> GetViewAsync() =>
        Task.FromResult(new UserConsistencyView(this.GetPrimaryKeyLong(), new WriteRecord(_reader.LastWrite.Position, _reader.LastWrite.At), _writes,
            RuntimeIdentity, WalPosition.Latest(_reader.SeenOwn.Position, _reader.SeenOthers.Position)));

    private async Task<ReaderLease> GrantAsync(IReaderLeaseHolder holder)
    {
        // Checked at the instant of the grant: a lease may have run out while this call awaited.
        DateTimeOffset now;
        do
        {
            await AccountForLapsedLeasesAsync();
            now = Clock.GetUtcNow();
            _leases.Expire(now);
        }
        while (_leases.HasLapses);

        var shared = _leases.Grant(services.Holders.Shared(holder), now + LeaseDuration, now);
        return new ReaderLease(GrainContext.ActivationId, _writes, Aged(_reader.LastWrite, now), Aged(_reader.SeenOwn, now), Aged(_reader.SeenOthers, now),
            LeaseDuration, shared);
    }

    private async Task RevokeAsync(IReaderLeaseHolder? except)
    {
        var holders = _leases.TakeAllBut(except, Clock.GetUtcNow());
        if (holders.Count > 0)
        {
            await Task.WhenAll(holders.Select(h => RevokeOneAsync(h.Holder, h.Until)));
        }

        await AccountForLapsedLeasesAsync();
    }

    private Task RevokeOneAsync(IReaderLeaseHolder holder, DateTimeOffset until) =>
        HearFromAsync(() => holder.RevokeAsync(this.GetPrimaryKeyLong(), GrainContext.ActivationId, _writes), until, "revoke");

    private async Task ShareOneAsync(IReaderLeaseHolder holder, DateTimeOffset until)
    {
        if (!await HearFromAsync(() => holder.ShareAsync(this.GetPrimaryKeyLong()), until, "share"))
        {
            _leases.Remove(holder);
        }
        else
        {
            _leases.Shared(holder);
        }
    }

    // Takes in a holder's report; false when it did not answer before its lease ended. A holder that cannot be told
    // stops using its copy when its lease runs out, which it counts from before this grain granted it, so its lease is
    // waited out, and what it wrote meanwhile is accounted for as a lapsed lease.
    private async Task<bool> HearFromAsync(Func<Task<LeaseReport>> ask, DateTimeOffset until, string call)
    {
        try
        {
            Merge(await ask().WaitAsync(until - Clock.GetUtcNow(), Clock));
            return true;
        }
        catch (Exception ex)
        {
            LogHolderUnreachable(services.Logger, this.GetPrimaryKeyLong(), call, ex.Message);
            var left = until - Clock.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, Clock);
            }

            _leases.NoteLapse();
            return false;
        }
    }

    // An exclusive holder records the user's writes in its copy and reports them when asked. One whose lease ran out
    // before it reported may have acknowledged writes this activation never heard of; every such write committed
    // before the lease ended, so the primary's position now is at or past all of them.
    private async Task AccountForLapsedLeasesAsync()
    {
        if (!_leases.TakeLapses())
        {
            return;
        }

        var floor = new Known(await services.Primary.ReadAsync(), Clock.GetUtcNow());
        _reader = _reader with { LastWrite = Known.Max(_reader.LastWrite, floor), SeenOwn = Known.Max(_reader.SeenOwn, floor) };
    }

    private void Merge(LeaseReport report) => _reader = ReaderState.Max(_reader, ReaderState.Of(report, Clock.GetUtcNow()));

    private static AgedPosition Aged(Known known, DateTimeOffset now) =>
        new(known.Position, known.At == DateTimeOffset.MinValue ? null : now > known.At ? now - known.At : TimeSpan.Zero);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: a lease holder did not answer ({Call}): {Error}")]
    private static partial void LogHolderUnreachable(ILogger logger, long userId, string call, string error);
}
