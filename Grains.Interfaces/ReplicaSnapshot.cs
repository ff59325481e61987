using System.Collections.Immutable;

namespace OrleansRaw;

/// <summary>The replica monitor's view of the cluster at one poll.</summary>
/// <param name="Version">Grows by one per poll; lets a waiter ask for anything newer.</param>
/// <param name="PrimaryLsn">The primary's WAL insert position (on <paramref name="Timeline"/>), read in the same poll as the replicas.</param>
/// <param name="SampledAt">When the poll started.</param>
/// <param name="Replicas">One entry per configured replica.</param>
/// <param name="P99LagMs">The 99th percentile of observed replica lag over the recent window.</param>
/// <param name="Timeline">The cluster's current timeline: the highest any node reported (a promoted standby starts the next one); 0 before any node answered.</param>
/// <param name="Epoch">Identifies the monitor activation that numbered <paramref name="Version"/>; versions compare only within one epoch.</param>
[GenerateSerializer, Immutable, Alias("OrleansRaw.ReplicaSnapshot")]
public sealed record ReplicaSnapshot(
    [property: Id(0)] long Version,
    [property: Id(1)] Lsn PrimaryLsn,
    [property: Id(2)] DateTimeOffset SampledAt,
    [property: Id(3)] ImmutableArray<ReplicaStatus> Replicas,
    [property: Id(4)] double P99LagMs,
    [property: Id(5)] Guid Epoch = default,
    [property: Id(6)] uint Timeline = 0)
{
    /// <summary>Before the first poll: no replica known, so every read goes to the primary.</summary>
    public static readonly ReplicaSnapshot Empty = new(0, Lsn.Zero, DateTimeOffset.MinValue, [], 0);
}
