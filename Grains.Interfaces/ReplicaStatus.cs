namespace OrleansRaw;

/// <summary>What the monitor last saw of one replica.</summary>
/// <param name="Name">The replica's configured name (its <c>application_name</c>).</param>
/// <param name="Healthy">Reachable, in recovery, on the cluster's current timeline and within the lag limit.</param>
/// <param name="ReplayLsn">The last WAL position the replica replayed (<c>pg_last_wal_replay_lsn()</c>).</param>
/// <param name="LagMs">How long ago the primary was at the replica's replay position, in milliseconds.</param>
/// <param name="LagBytes">WAL bytes between the primary's insert position and the replica's replay position.</param>
/// <param name="SampledAt">When the monitor read the replica.</param>
/// <param name="Error">The last probe error while unhealthy, if any.</param>
/// <param name="ReplayDelayMs">How long the last write the replica replayed took to reach it, or <paramref name="LagMs"/> if longer: how soon a new write may be expected there.</param>
/// <param name="Timeline">The timeline the replica follows (0 when never learned); a replica is used only on the cluster's current timeline (<see cref="ReplicaSnapshot.Timeline"/>).</param>
[GenerateSerializer, Immutable, Alias("OrleansRaw.ReplicaStatus")]
public sealed record ReplicaStatus(
    [property: Id(0)] string Name,
    [property: Id(1)] bool Healthy,
    [property: Id(2)] Lsn ReplayLsn,
    [property: Id(3)] double LagMs,
    [property: Id(4)] long LagBytes,
    [property: Id(5)] DateTimeOffset SampledAt,
    [property: Id(6)] string? Error = null,
    [property: Id(7)] double ReplayDelayMs = 0,
    [property: Id(8)] uint Timeline = 0);
