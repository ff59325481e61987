using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using OrleansRaw.ReadYourWrites;

namespace OrleansRaw.WebApi.Hosting;

/// <summary>
/// Ready means: the primary answers, and the Orleans cluster answers (through the replica monitor). The benchmark's
/// <see cref="DirectBaseline"/> has no cluster, so the primary alone.
/// </summary>
public sealed partial class ReadinessChecks(NodeConnections sources, ReplicaMonitor monitor, IGrainFactory grains, ILogger<ReadinessChecks> logger) : IHealthCheck
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
            // The answer is public: the driver's message (host names, ports) goes to the log only.
            LogUnready(logger, "primary", ex.Message);
            return HealthCheckResult.Unhealthy("The primary is unreachable.");
        }

        if (grains is NoClusterGrainFactory)
        {
            return HealthCheckResult.Healthy($"ok ({DirectBaseline.Setting}={DirectBaseline.Name}: no Orleans cluster)");
        }

        try
        {
            var snapshot = await monitor.GetSnapshotAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return HealthCheckResult.Healthy("ok", new Dictionary<string, object>
            {
                ["primaryLsn"] = snapshot.PrimaryLsn.ToString(),
                ["timeline"] = snapshot.Timeline,
                ["healthyReplicas"] = snapshot.Replicas.Count(r => r.Healthy),
            });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogUnready(logger, "Orleans cluster", ex.Message);
            return HealthCheckResult.Unhealthy("The Orleans cluster is unreachable.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not ready: the {Dependency} is unreachable: {Error}")]
    private static partial void LogUnready(ILogger logger, string dependency, string error);
}
