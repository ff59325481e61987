using OrleansRaw.Grains.Replicas;

namespace OrleansRaw.Grains.Routing;

/// <summary>Asks the policy, and while it says "wait", waits for this silo's next replica snapshot and asks again.</summary>
internal static class DecisionLoop
{
    public static async Task<RoutingDecision> DecideAsync(
        RoutingPolicy policy,
        SiloReplicaSnapshots snapshots,
        TimeProvider clock,
        ReadRequest request,
        WriteRecord? lastWrite,
        Lsn seen,
        Func<ReplicaSnapshot, ReplicaSnapshot>? adjust = null)
    {
        var started = clock.GetTimestamp();
        var snapshot = snapshots.Current;
        var waited = false;
        while (true)
        {
            var view = adjust is null ? snapshot : adjust(snapshot);
            var result = policy.Decide(request, lastWrite, seen, view, clock.GetUtcNow(), clock.GetElapsedTime(started));
            if (result.Decision is { } decision)
            {
                return waited ? decision with { Waited = clock.GetElapsedTime(started) } : decision;
            }

            waited = true;
            snapshot = await snapshots.WaitForNewerAsync(snapshot.Version, result.WaitFor);
        }
    }
}
