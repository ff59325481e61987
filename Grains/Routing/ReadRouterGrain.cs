using Orleans.Concurrency;
using OrleansRaw.Grains.Replicas;

namespace OrleansRaw.Grains.Routing;

/// <summary>Routes reads with no reader state from this silo's snapshot; never waits, so one activation per silo serves many.</summary>
[StatelessWorker]
public sealed class ReadRouterGrain(SiloReplicaSnapshots snapshots, RoutingPolicy policy, TimeProvider clock) : Grain, IReadRouterGrain
{
    public Task<RoutingDecision> RouteReadAsync(ReadRequest request)
    {
        // Without a reader's last write, no rule asks to wait; a wait answer here would be a policy bug.
        var result = policy.Decide(request, lastWrite: null, snapshots.Current, clock.GetUtcNow(), TimeSpan.MaxValue);
        return Task.FromResult(result.Decision ?? RoutingDecision.Primary(RoutingReasons.FallbackTimeout));
    }
}
