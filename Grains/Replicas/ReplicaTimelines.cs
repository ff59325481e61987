namespace OrleansRaw.Grains.Replicas;

/// <summary>What one probe of a node configured as a replica returned.</summary>
/// <param name="InRecovery">Still a standby (false: promoted).</param>
/// <param name="ReplayLsn">The last position it replayed.</param>
/// <param name="ReceivedTimeline">The timeline its WAL receiver streams (<c>received_tli</c>); 0 while no receiver runs.</param>
/// <param name="OwnTimeline">Out of recovery: the timeline it writes on; otherwise 0.</param>
/// <param name="CheckpointTimeline">The timeline of its last checkpoint or restartpoint (<c>pg_control_checkpoint()</c>), a lower bound.</param>
internal readonly record struct ReplicaProbe(bool InRecovery, Lsn ReplayLsn, uint ReceivedTimeline, uint OwnTimeline, uint CheckpointTimeline);

/// <summary>
/// Which timeline each node is on, and which one is the cluster's: pure rules, so tests need no failover. Timelines
/// only grow on a node (a standby switches to a newer one, never back), so the highest evidence is the truth.
/// </summary>
internal static class ReplicaTimelines
{
    /// <summary>
    /// The timeline a node is on, from one probe and the last one known for it: while its WAL receiver is down (its
    /// primary crashed, or it cannot follow the new one) the probe names none, and the last known one still holds.
    /// </summary>
    public static uint Of(ReplicaProbe probe, uint lastKnown) =>
        Math.Max(lastKnown, probe.InRecovery ? Math.Max(probe.ReceivedTimeline, probe.CheckpointTimeline) : probe.OwnTimeline);

    /// <summary>
    /// The cluster's timeline: the highest any node reports, the primary's or a promoted standby's (which the monitor
    /// sees one poll after the promotion, before clients have found the new primary). No node can be on a later one
    /// than the primary it follows.
    /// </summary>
    public static uint Cluster(uint previous, uint primary, IEnumerable<uint> nodes) =>
        nodes.Aggregate(Math.Max(previous, primary), Math.Max);

    /// <summary>Why a standby on <paramref name="replica"/> may not serve reads of <paramref name="cluster"/>, or null when it may.</summary>
    public static string? Mismatch(uint replica, uint cluster) =>
        replica == cluster ? null
        : replica == 0 ? $"{ReplicaErrors.TimelinePrefix}unknown, the cluster is on {cluster}"
        : $"{ReplicaErrors.TimelinePrefix}{replica}, the cluster is on {cluster}";
}
