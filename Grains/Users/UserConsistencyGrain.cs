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
    public async Task RecordWriteAsync(WriteRecord write)
    {
        // Requests of one user can commit in one order and arrive here in another: keep the latest of each.
        var last = state.State.LastWrite;
        state.State.LastWrite = last is null
            ? write
            : new WriteRecord(Lsn.Max(last.Lsn, write.Lsn), write.At > last.At ? write.At : last.At);
        state.State.Writes++;
        await state.WriteStateAsync();
    }

    public async Task<RoutingDecision> RouteReadAsync(ReadRequest request)
    {
        var started = clock.GetTimestamp();
        var snapshot = snapshots.Current;
        var waited = false;
        while (true)
        {
            var result = policy.Decide(request, state.State.LastWrite, snapshot, clock.GetUtcNow(), clock.GetElapsedTime(started));
            if (result.Decision is { } decision)
            {
                return waited ? decision with { Waited = clock.GetElapsedTime(started) } : decision;
            }

            waited = true;
            snapshot = await snapshots.WaitForNewerAsync(snapshot.Version, result.WaitFor);
        }
    }

    public Task<UserConsistencyView> GetViewAsync() =>
        Task.FromResult(new UserConsistencyView(this.GetPrimaryKeyLong(), state.State.LastWrite, state.State.Writes, RuntimeIdentity));
}
