using System.Diagnostics.Metrics;

namespace OrleansRaw.Routing;

/// <summary>
/// Each replica's lag and health as gauges, from this process's copy of the monitor's snapshot: the same three series
/// on every silo and every API server, so one query covers all of them.
/// </summary>
internal static class ReplicaGauges
{
    /// <summary>The tag naming a replica.</summary>
    public const string ReplicaTag = "replica";

    public static void AddTo(Meter meter, ReplicaSnapshotFeed snapshots)
    {
        meter.CreateObservableGauge("orleansraw.replica.lag.time", () => Replicas(snapshots, r => r.LagMs), "ms",
            "How long ago the primary was where the replica has replayed to.");
        meter.CreateObservableGauge("orleansraw.replica.lag.wal", () => Replicas(snapshots, r => (double)r.LagBytes), "By",
            "WAL bytes the replica has yet to replay.");
        meter.CreateObservableGauge("orleansraw.replica.healthy", () => Replicas(snapshots, r => r.Healthy ? 1 : 0), "1",
            "1 while the monitor considers the replica healthy (reachable, in recovery, lag within its limit), else 0.");
    }

    // A copy older than the feed's limit says nothing about the replicas now: no series rather than stale figures.
    private static IEnumerable<Measurement<double>> Replicas(ReplicaSnapshotFeed snapshots, Func<ReplicaStatus, double> value) =>
        snapshots.Fresh is { } snapshot
            ? snapshot.Replicas.Select(r => new Measurement<double>(value(r), new KeyValuePair<string, object?>(ReplicaTag, r.Name)))
            : [];
}
