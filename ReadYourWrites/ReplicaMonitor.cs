namespace OrleansRaw.ReadYourWrites;

/// <summary>The cluster's replica monitor, for an app's status page or readiness check (from DI).</summary>
public sealed class ReplicaMonitor
{
    private readonly IGrainFactory _grains;

    internal ReplicaMonitor(IGrainFactory grains) => _grains = grains;

    /// <summary>
    /// The monitor's latest view of the primary and each replica, asked of the monitor grain (so an answer also says
    /// the Orleans cluster answers). Throws what the grain call throws: an <see cref="OrleansException"/> or a
    /// <see cref="TimeoutException"/> while the cluster is unreachable.
    /// </summary>
    public Task<ReplicaSnapshot> GetSnapshotAsync(CancellationToken cancellationToken = default) =>
        _grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster).GetSnapshotAsync().WaitAsync(cancellationToken);
}
