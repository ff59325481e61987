namespace OrleansRaw.Routing;

/// <summary>How a user's own reads are routed.</summary>
public enum ConsistencyMode
{
    /// <summary>Replication position tracking (the brief's Strategy 2): a replica that has replayed the user's last write.</summary>
    Lsn,

    /// <summary>Session stickiness (the brief's Strategy 1): the primary for a grace period after the user's last write.</summary>
    Window,

    /// <summary>Baseline only, the brief's wrong approach #2: every read on the primary.</summary>
    AlwaysPrimary,

    /// <summary>Baseline only, the brief's wrong approach #1: every read on any replica.</summary>
    Eventual,
}
