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

    public SiloMetrics(IMeterFactory meters, ReplicaSnapshotFeed snapshots)
    {
        var meter = meters.Create(MeterName);
        ReplicaGauges.AddTo(meter, snapshots);
    }
}
