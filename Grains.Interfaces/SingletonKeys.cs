namespace OrleansRaw;

/// <summary>Well-known keys of the cluster's singleton grains.</summary>
public static class SingletonKeys
{
    /// <summary>The key of the one <see cref="IReplicaMonitorGrain"/>.</summary>
    public const long Cluster = 0;
}
