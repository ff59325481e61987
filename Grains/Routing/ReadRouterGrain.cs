using Orleans.Concurrency;
using OrleansRaw.Grains.Replicas;

namespace OrleansRaw.Grains.Routing;

/// <summary>Routes reads with no user state of their own (anonymous readers, background work carrying a token) from this silo's snapshot.</summary>
[StatelessWorker, Reentrant]
public sealed class ReadRouterGrain(SiloReplicaSnapshots snapshots, RoutingPolicy policy, TimeProvider clock) : Grain, IReadRouterGrain
{
    public Task<RoutingDecision> RouteReadAsync(ReadRequest request) =>
        Task.FromResult(policy.Decide(request, ReaderState.None, snapshots.Current, clock.GetUtcNow()));
}
