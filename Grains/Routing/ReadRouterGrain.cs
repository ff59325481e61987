using Orleans.Concurrency;
using OrleansRaw.Grains.Replicas;

namespace OrleansRaw.Grains.Routing;

/// <summary>Routes reads with no reader state from this silo's snapshot; never waits, so one activation per silo serves many.</summary>
[StatelessWorker]
public sealed class ReadRouterGrain(SiloReplicaSnapshots snapshots, RoutingPolicy policy, TimeProvider clock) : Grain, IReadRouterGrain
{
    public Task<RoutingDecision> RouteReadAsync(ReadRequest request)
    {
        // Without a reader's last write or seen position no rule waits, unless the request carries a token; then the
        // primary is the answer that needs no waiting.
        var result = policy.Decide(request, lastWrite: null, Lsn.Zero, snapshots.Current, clock.GetUtcNow(), TimeSpan.MaxValue);
        return Task.FromResult(result.Decision ?? RoutingDecision.Primary(RoutingReasons.FallbackTimeout));
    }
}
