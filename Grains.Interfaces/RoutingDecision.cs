namespace OrleansRaw;

/// <summary>Where one read runs, and why.</summary>
/// <param name="Replica">The replica's name, or null for the primary.</param>
/// <param name="RequiredLsn">The position the replica must have replayed; the reader checks it before reading. On a primary read for <see cref="RoutingReasons.ReplicasBehind"/>, the position no replica was expected to replay in time (for the record: the primary has it).</param>
/// <param name="MaxWait">How long the check may wait, on the replica, for that position to be replayed before the read goes to the primary.</param>
/// <param name="Reason">One of <see cref="RoutingReasons"/>.</param>
/// <param name="Timeline">The timeline the replica follows (the cluster's current one); what it serves is a position on it. 0 for the primary, whose reads report their own.</param>
[GenerateSerializer, Immutable, Alias("OrleansRaw.RoutingDecision")]
internal sealed record RoutingDecision(
    [property: Id(0)] string? Replica,
    [property: Id(1)] Lsn RequiredLsn,
    [property: Id(2)] TimeSpan MaxWait,
    [property: Id(3)] string Reason,
    [property: Id(4)] uint Timeline = 0)
{
    /// <summary>True when the read must run on the primary.</summary>
    public bool UsePrimary => Replica is null;

    /// <summary>A read on the primary.</summary>
    public static RoutingDecision Primary(string reason) => new(null, Lsn.Zero, TimeSpan.Zero, reason);

    /// <summary>A read on a replica (on <paramref name="timeline"/>) that must have replayed <paramref name="required"/>, waiting there up to <paramref name="maxWait"/> for it.</summary>
    public static RoutingDecision OnReplica(string replica, Lsn required, string reason, TimeSpan maxWait = default, uint timeline = 0) =>
        new(replica, required, maxWait, reason, timeline);
}
