namespace OrleansRaw;

/// <summary>The reasons a routing decision gives; they are also the <c>X-Consistency-Reason</c> header values.</summary>
public static class RoutingReasons
{
    /// <summary>Not the reader's own data: any healthy replica will do.</summary>
    public const string Eventual = "eventual";

    /// <summary>Own data, and the chosen replica has replayed the reader's last write.</summary>
    public const string OwnWriteReplicaCaughtUp = "own-write-replica-caught-up";

    /// <summary>Own data within the grace period after the last write (Window mode): the primary.</summary>
    public const string OwnWriteWindow = "own-write-window";

    /// <summary>Own data after the grace period has passed (Window mode): a replica, unchecked.</summary>
    public const string OwnWriteWindowPassed = "own-write-window-passed";

    /// <summary>The caller asked for the primary.</summary>
    public const string Critical = "critical";

    /// <summary>No replica is expected to replay the reader's floor within the wait budget, going by its recent lag: the primary at once.</summary>
    public const string ReplicasBehind = "replicas-behind";

    /// <summary>
    /// The reader's floor is on another timeline than the cluster's (a failover happened since it was read, or a token
    /// carries no timeline): its LSN says nothing about the current timeline, so the primary.
    /// </summary>
    public const string OtherTimeline = "other-timeline";

    /// <summary>No healthy replica: the primary.</summary>
    public const string ReplicasUnavailable = "replicas-unavailable";

    /// <summary>Baseline mode that sends every read to the primary (the always-primary baseline, which wastes the replicas).</summary>
    public const string AlwaysPrimary = "always-primary";

    /// <summary>The replica had not replayed the reader's floor by the end of its check (and its bounded wait): the primary.</summary>
    public const string GuardFallback = "guard-fallback";

    /// <summary>The user's consistency grain could not answer: the primary, which is always safe.</summary>
    public const string DecisionUnavailable = "decision-unavailable";
}
