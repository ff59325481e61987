using Microsoft.Extensions.Logging;
using OrleansRaw.Routing;

namespace OrleansRaw.Grains.Users;

/// <summary>What a <see cref="LeaseGrantor"/> needs of the grain that runs it: who the user is, which activation grants, and the silo's services.</summary>
internal interface ILeaseGrantorHost
{
    string UserId { get; }

    ActivationId Epoch { get; }

    UserGrainServices Services { get; }
}

/// <summary>
/// The grain side of the reader-lease protocol (docs/PROTOCOL.md): one user's last write and how far their reads
/// reached, lent to API servers under leases that are revoked before another server's write is acknowledged. It knows
/// nothing of Orleans but the holders' interface, reads time only from the silo's <see cref="TimeProvider"/>, and
/// relies on its caller for the grain's turns (one call at a time, <see cref="Report"/> and
/// <see cref="View"/> interleaving), so the exploration tests run this very code over a scheduler they control.
/// </summary>
internal sealed partial class LeaseGrantor(ILeaseGrantorHost host)
{
    private ReaderState _reader = ReaderState.None;
    private long _writes;

    // A struct, so it is held inline; never readonly and never copied, or a change would land on a copy.
    private ReaderLeaseBook _leases = new();

    private UserGrainServices Services => host.Services;

    private TimeProvider Clock => Services.Clock;

    private ProtocolFlaws Flaws => Services.Flaws;

    /// <summary>The reader's state and how many writes this activation recorded.</summary>
    public (ReaderState Reader, long Writes) View => (_reader, _writes);

    /// <summary>
    /// Starts the user's state: their own data at the primary's current position, at or past every write they ever
    /// committed; others' data at the primary's position when an earlier activation could last have served them
    /// (<see cref="ActivationFloor"/>). Leases an earlier activation granted ran out before this one could exist: a
    /// lease is shorter than the time membership takes to declare a silo dead, and a graceful end revokes them all.
    /// </summary>
    public async Task ActivateAsync(CancellationToken cancellationToken)
    {
        var now = Clock.GetUtcNow();
        var own = new Known(await Services.Primary.ReadAsync().WaitAsync(cancellationToken), now);
        var others = Flaws.HasFlag(ProtocolFlaws.ForgetOthersOnActivation) ? Known.Nothing
            : new Known(await Services.Floor.OthersAsync().WaitAsync(cancellationToken), now);
        _reader = new ReaderState(own, own, others);
    }

    /// <summary>The activation ends: every copy is revoked (or waited out), so no server routes from a state no grain holds.</summary>
    public Task DeactivateAsync() => RevokeAsync(except: null);

    public async Task<ReaderLease?> RecordWriteAsync(WriteRecord write, IReaderLeaseHolder? writer, LeaseReport report)
    {
        // Requests of one user can commit in one order and arrive here in another: keep the latest position. Its time
        // is this silo's, so the policy never compares two machines' clocks.
        _writes++;
        Merge(report with { LastWrite = WalPosition.Latest(report.LastWrite, write.Position) });
        if (writer is not null)
        {
            _leases.Renewing(writer, Clock.GetTimestamp(), Services.Holders);
        }

        // The write is acknowledged only after this returns, so no server may still route from a state without it.
        if (!Flaws.HasFlag(ProtocolFlaws.SkipRevocation))
        {
            await RevokeAsync(except: writer);
        }

        return writer is null ? null : await GrantAsync(writer);
    }

    public async Task<ReaderLease> LeaseAsync(IReaderLeaseHolder holder, LeaseReport report)
    {
        Merge(report);
        _leases.Renewing(holder, Clock.GetTimestamp(), Services.Holders);

        // A second server starts serving this user: what the first wrote and served must reach it now, and from now
        // on both ask here for every read and record every write here.
        var sharing = _leases.StartSharing(holder, Clock.GetTimestamp(), Services.Holders);
        if (sharing.Count > 0)
        {
            await Task.WhenAll(sharing.Select(h => ShareOneAsync(h.Holder, h.Until)));
        }

        return await GrantAsync(holder);
    }

    /// <summary>
    /// A read served by <paramref name="reporter"/> without a valid exclusive copy (a shared lease, a decision that
    /// could not be had, a copy that ran out during the read): before its response leaves, every other server that
    /// routes from an exclusive copy — which misses this position — loses it.
    /// </summary>
    public async Task ReportServedAsync(LeaseReport report, IReaderLeaseHolder reporter)
    {
        Merge(report);
        if (Flaws.HasFlag(ProtocolFlaws.ReportWithoutRevocation))
        {
            return;
        }

        var exclusive = _leases.TakeExclusiveBut(reporter, Clock.GetTimestamp(), Services.Holders);
        if (exclusive.Count > 0)
        {
            await Task.WhenAll(exclusive.Select(h => RevokeOneAsync(h.Holder, h.Until)));
        }

        await AccountForLapsedLeasesAsync();
    }

    /// <summary>Takes in what an expired copy wrote and served while it was valid (merged only: see docs/PROTOCOL.md).</summary>
    public void Report(LeaseReport report) => Merge(report);

    private async Task<ReaderLease> GrantAsync(IReaderLeaseHolder holder)
    {
        // Checked at the instant of the grant: a lease may have run out while this call awaited.
        long now;
        do
        {
            await AccountForLapsedLeasesAsync();
            now = Clock.GetTimestamp();
            _leases.Expire(now);
        }
        while (_leases.HasLapses);

        var duration = Services.Policy.Options.ReaderLease;
        var shared = _leases.Grant(Services.Holders.Shared(holder), now + Clock.TimestampTicks(duration), now, Services.Holders);
        var wall = Clock.GetUtcNow();
        return new ReaderLease(host.Epoch, _writes, Aged(_reader.LastWrite, wall), Aged(_reader.SeenOwn, wall), Aged(_reader.SeenOthers, wall),
            duration, shared);
    }

    private async Task RevokeAsync(IReaderLeaseHolder? except)
    {
        var holders = _leases.TakeAllBut(except, Clock.GetTimestamp(), Services.Holders);
        if (holders.Count > 0)
        {
            await Task.WhenAll(holders.Select(h => RevokeOneAsync(h.Holder, h.Until)));
        }

        await AccountForLapsedLeasesAsync();
    }

    private Task RevokeOneAsync(IReaderLeaseHolder holder, long until) =>
        HearFromAsync(() => holder.RevokeAsync(host.UserId, host.Epoch, _writes), until, "revoke");

    private async Task ShareOneAsync(IReaderLeaseHolder holder, long until)
    {
        if (!await HearFromAsync(() => holder.ShareAsync(host.UserId), until, "share"))
        {
            _leases.Remove(holder, Services.Holders);
        }
        else
        {
            _leases.Shared(holder, Services.Holders);
        }
    }

    // Takes in a holder's report; false when it did not answer before its lease ended. A holder that cannot be told
    // stops using its copy when its lease runs out, which it counts from before this grain granted it, so its lease is
    // waited out, and what it wrote meanwhile is accounted for as a lapsed lease.
    private async Task<bool> HearFromAsync(Func<Task<LeaseReport>> ask, long until, string call)
    {
        try
        {
            Merge(await ask().WaitAsync(Left(until), Clock));
            return true;
        }
        catch (Exception ex)
        {
            LogHolderUnreachable(Services.Logger, host.UserId, call, ex.Message);
            if (Left(until) is var left && left > TimeSpan.Zero)
            {
                await Task.Delay(left, Clock);
            }

            _leases.NoteLapse();
            return false;
        }
    }

    // An exclusive holder records the user's writes in its copy and reports them when asked; any holder may have
    // served reads it has not reported. One whose lease ran out before it reported may have acknowledged writes, and
    // served data, that this activation never heard of; all of it happened before the lease ended, so the primary's
    // position now is at or past every one.
    private async Task AccountForLapsedLeasesAsync()
    {
        if (!_leases.TakeLapses() || Flaws.HasFlag(ProtocolFlaws.DropLapseRule))
        {
            return;
        }

        var floor = new Known(await Services.Primary.ReadAsync(), Clock.GetUtcNow());
        _reader = ReaderState.Max(_reader, new ReaderState(floor, floor, floor));
    }

    private TimeSpan Left(long until)
    {
        var now = Clock.GetTimestamp();
        return until > now ? Clock.GetElapsedTime(now, until) : TimeSpan.Zero;
    }

    private void Merge(LeaseReport report) => _reader = ReaderState.Max(_reader, ReaderState.Of(report, Clock.GetUtcNow()));

    private static AgedPosition Aged(Known known, DateTimeOffset now) =>
        new(known.Position, known.At == DateTimeOffset.MinValue ? null : now > known.At ? now - known.At : TimeSpan.Zero);

    [LoggerMessage(Level = LogLevel.Warning, Message = "User {UserId}: a lease holder did not answer ({Call}): {Error}")]
    private static partial void LogHolderUnreachable(ILogger logger, string userId, string call, string error);
}
