using OrleansRaw.Grains.Replicas;
using OrleansRaw.Grains.Routing;

namespace OrleansRaw.Grains.Users;

/// <summary>
/// Holds one user's last write and how far their reads reached. Nothing is stored outside this activation: an
/// activation starts from the primary's current position, which is at or past every write the user ever committed
/// and every position they were ever served, so losing an activation (a silo's death, idle deactivation) can only
/// make the user's next reads more careful, never stale.
/// </summary>
public sealed class UserConsistencyGrain(
    SiloReplicaSnapshots snapshots,
    PrimaryPosition primary,
    RoutingPolicy policy,
    TimeProvider clock) : Grain, IUserConsistencyGrain
{
    private ReaderState _reader = ReaderState.None;
    private long _writes;

    // What this user's own reads proved about replicas: a replica that served them at P had replayed P, which the
    // silo's snapshot may not show for another poll. Replay only moves forward (a restarted replica may not: the
    // reader's check catches that), so trusting these lets the next read go to that replica without a wait. Only on
    // the timeline the proof was made on: after a failover the LSN means something else.
    private readonly Dictionary<string, WalPosition> _provenReplay = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Read in the activation, before any call is served: a write recorded in an earlier activation committed
        // before it was recorded, so it lies at or before this position.
        var floor = new Known(await primary.ReadAsync().WaitAsync(cancellationToken), clock.GetUtcNow());
        _reader = new ReaderState(floor, floor, floor);
    }

    public Task RecordWriteAsync(WriteRecord write)
    {
        // Requests of one user can commit in one order and arrive here in another: keep the latest position. Its time
        // is this silo's, so the policy never compares two machines' clocks.
        _reader = _reader with { LastWrite = Known.Max(_reader.LastWrite, new Known(write.Position, clock.GetUtcNow())) };
        _writes++;
        return Task.CompletedTask;
    }

    public Task<RoutingDecision> RouteReadAsync(ReadRequest request) =>
        Task.FromResult(policy.Decide(request, _reader, WithProvenReplay(snapshots.Current), clock.GetUtcNow()));

    public Task NoteSeenAsync(WalPosition servedAt, string? replica, bool ownData)
    {
        var seen = new Known(servedAt, clock.GetUtcNow());
        _reader = ownData
            ? _reader with { SeenOwn = Known.Max(_reader.SeenOwn, seen) }
            : _reader with { SeenOthers = Known.Max(_reader.SeenOthers, seen) };
        if (replica is not null)
        {
            _provenReplay[replica] = WalPosition.Latest(_provenReplay.GetValueOrDefault(replica), servedAt);
        }

        return Task.CompletedTask;
    }

    public Task<UserConsistencyView> GetViewAsync() =>
        Task.FromResult(new UserConsistencyView(this.GetPrimaryKeyLong(), new WriteRecord(_reader.LastWrite.Position, _reader.LastWrite.At), _writes,
            RuntimeIdentity, WalPosition.Latest(_reader.SeenOwn.Position, _reader.SeenOthers.Position)));

    private ReplicaSnapshot WithProvenReplay(ReplicaSnapshot snapshot)
    {
        if (_provenReplay.Count == 0 || !snapshot.Replicas.Any(r => Proves(r, out _)))
        {
            return snapshot;
        }

        return snapshot with { Replicas = [.. snapshot.Replicas.Select(r => Proves(r, out var proven) ? r with { ReplayLsn = proven } : r)] };
    }

    private bool Proves(ReplicaStatus replica, out Lsn proven)
    {
        proven = _provenReplay.TryGetValue(replica.Name, out var position) && position.Timeline == replica.Timeline ? position.Lsn : Lsn.Zero;
        return proven > replica.ReplayLsn;
    }
}
