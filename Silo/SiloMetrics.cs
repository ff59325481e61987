using System.Diagnostics.Metrics;
using OrleansRaw.Routing;

namespace OrleansRaw.Silo;

/// <summary>
/// The silo's own meter, <see cref="MeterName"/>: each replica's lag and health from this silo's copy of the replica
/// monitor's snapshot, under the same names the API exports from its copy.
/// </summary>
public sealed class SiloMetrics
{
    public const string MeterName = "OrleansRaw.Silo";

    /// <summary>The tag naming a replica, as on the API's gauges.</summary>
    public const string ReplicaTag = "replica";

    public SiloMetrics(IMeterFactory meters, ReplicaSnapshotFeed snapshots)
    {
        var meter = meters.Create(MeterName);
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
