namespace OrleansRaw.Routing;

/// <summary>How a user's own reads are routed.</summary>
public enum ConsistencyMode
{
    /// <summary>Replication position tracking: a replica that has replayed the user's last write.</summary>
    Lsn,

    /// <summary>Session stickiness: the primary for a grace period after the user's last write.</summary>
    Window,

    /// <summary>Baseline only: every read on the primary (safe, but the replicas serve nothing).</summary>
    AlwaysPrimary,

    /// <summary>Baseline only: every read on any replica (fast, but a user's own writes can vanish).</summary>
    Eventual,
}
