namespace OrleansRaw;

/// <summary>Well-known keys of the cluster's singleton grains.</summary>
internal static class SingletonKeys
{
    /// <summary>The key of the one <see cref="IReplicaMonitorGrain"/>.</summary>
    public const long Cluster = 0;
}
