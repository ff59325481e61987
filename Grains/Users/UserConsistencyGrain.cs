using OrleansRaw.Grains.Hosting;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.Grains.Routing;

namespace OrleansRaw.Grains.Users;

/// <summary>Holds one user's last write, persisted so that it survives deactivation and the loss of its silo.</summary>
public sealed class UserConsistencyGrain(
    [PersistentState("consistency", StorageNames.Consistency)] IPersistentState<UserConsistencyState> state,
    SiloReplicaSnapshots snapshots,
    RoutingPolicy policy,
    TimeProvider clock) : Grain, IUserConsistencyGrain
{
    // Seen positions arrive with every read; saving each would cost a Redis write per read. They are saved with the
    // next write and on deactivation, so a silo crash can only lose how far the user has *read*, never a write.
    private Lsn _seen;

    // What this user's own reads proved about replicas: a replica that served them at P had replayed P, which the
    // silo's snapshot may not show for another poll. Replay only moves forward, and every replica read is guarded
    // anyway, so trusting these lets the next read go to that replica without waiting for a snapshot.
    private readonly Dictionary<string, Lsn> _provenReplay = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _seen = state.State.Seen;
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_seen > state.State.Seen && state.RecordExists)
        {
            state.State.Seen = _seen;
            await state.WriteStateAsync(cancellationToken);
        }
    }

    public async Task RecordWriteAsync(WriteRecord write)
    {
        // Requests of one user can commit in one order and arrive here in another: keep the latest of each.
        var last = state.State.LastWrite;
        state.State.LastWrite = last is null
            ? write
            : new WriteRecord(Lsn.Max(last.Lsn, write.Lsn), write.At > last.At ? write.At : last.At);
        state.State.Writes++;
        state.State.Seen = Lsn.Max(_seen, state.State.Seen);
        await state.WriteStateAsync();
    }

    public Task<RoutingDecision> RouteReadAsync(ReadRequest request) =>
        DecisionLoop.DecideAsync(policy, snapshots, clock, request, state.State.LastWrite, _seen, WithProvenReplay);

    public Task NoteSeenAsync(Lsn servedAt, string? replica)
    {
        _seen = Lsn.Max(_seen, servedAt);
        if (replica is not null)
        {
            _provenReplay[replica] = Lsn.Max(_provenReplay.GetValueOrDefault(replica), servedAt);
        }

        return Task.CompletedTask;
    }

    private ReplicaSnapshot WithProvenReplay(ReplicaSnapshot snapshot)
    {
        if (_provenReplay.Count == 0 || !snapshot.Replicas.Any(r => _provenReplay.GetValueOrDefault(r.Name) > r.ReplayLsn))
        {
            return snapshot;
        }

        return snapshot with
        {
            Replicas = [.. snapshot.Replicas.Select(r => _provenReplay.TryGetValue(r.Name, out var proven) && proven > r.ReplayLsn
                ? r with { ReplayLsn = proven }
                : r)],
        };
    }

    public Task<UserConsistencyView> GetViewAsync() =>
        Task.FromResult(new UserConsistencyView(this.GetPrimaryKeyLong(), state.State.LastWrite, state.State.Writes, RuntimeIdentity, _seen));
}
