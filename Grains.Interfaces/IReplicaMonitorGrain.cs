using Orleans.Concurrency;

namespace OrleansRaw;

/// <summary>Polls the primary and every replica and publishes their positions and health. Key: always 0 (one per cluster).</summary>
[Alias("OrleansRaw.IReplicaMonitorGrain")]
internal interface IReplicaMonitorGrain : IGrainWithIntegerKey
{
    /// <summary>Returns the latest snapshot.</summary>
    [AlwaysInterleave, Alias("GetSnapshotAsync")]
    Task<ReplicaSnapshot> GetSnapshotAsync();

    /// <summary>Returns the latest snapshot at once unless it is <paramref name="afterVersion"/>; then the next one, or the same after <paramref name="maxWait"/>.</summary>
    [AlwaysInterleave, Alias("WaitForSnapshotAsync")]
    Task<ReplicaSnapshot> WaitForSnapshotAsync(long afterVersion, TimeSpan maxWait);
}
