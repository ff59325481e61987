namespace OrleansRaw;

/// <summary>The monitor's own words for an unhealthy replica (<see cref="ReplicaStatus.Error"/>); anything else is a probe's error.</summary>
public static class ReplicaErrors
{
    /// <summary>The replica answered but is no longer a standby.</summary>
    public const string NotInRecovery = "not in recovery (promoted?)";

    /// <summary>Starts the message of a replica on another timeline than the cluster's (left on a dead branch by a failover, or not yet following the new one).</summary>
    public const string TimelinePrefix = "on timeline ";

    /// <summary>Starts the message of a replica whose lag exceeds the limit.</summary>
    public const string LagPrefix = "lag ";
}
