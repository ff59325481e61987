using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansRaw.WebApi.Consistency;
using OrleansRaw.WebApi.Data;

namespace OrleansRaw.WebApi.Hosting;

/// <summary>
/// Ready means: the primary answers, and the Orleans cluster answers (through the replica monitor). In the
/// <c>Consistency:Direct</c> baseline there is no cluster, so the primary alone.
/// </summary>
public sealed class ReadinessChecks(DataSources sources, IGrainFactory grains, IOptions<ConsistencyApiOptions> consistency) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = sources.Primary.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("The primary is unreachable: " + ex.Message);
        }

        if (consistency.Value.Direct)
        {
            return HealthCheckResult.Healthy("ok (Consistency:Direct: no Orleans cluster)");
        }

        try
        {
            var snapshot = await grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster).GetSnapshotAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return HealthCheckResult.Healthy("ok", new Dictionary<string, object>
            {
                ["primaryLsn"] = snapshot.PrimaryLsn.ToString(),
                ["healthyReplicas"] = snapshot.Replicas.Count(r => r.Healthy),
            });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The Orleans cluster is unreachable: " + ex.Message);
        }
    }
}
