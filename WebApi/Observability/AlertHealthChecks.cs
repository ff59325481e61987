using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrleansRaw.Routing;

namespace OrleansRaw.WebApi.Observability;

/// <summary>Readiness entry <c>replica-lag</c>: Degraded, naming each replica, while any replica lags beyond the alert limit.</summary>
public sealed class ReplicaLagHealthCheck(ReplicaAlerts alerts, ReplicaSnapshotFeed snapshots) : IHealthCheck
{
    public const string Name = "replica-lag";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var maxLagMs = alerts.Options.MaxReplicaLag.TotalMilliseconds;
        var data = new Dictionary<string, object> { ["maxReplicaLagMs"] = maxLagMs };
        if (snapshots.Fresh is not { } snapshot)
        {
            return Task.FromResult(HealthCheckResult.Degraded("No recent replica snapshot: replica lag is unknown.", data: data));
        }

        data["replicas"] = snapshot.Replicas.ToDictionary(r => r.Name, r => (object)new { lagMs = Math.Round(r.LagMs), lagBytes = r.LagBytes, healthy = r.Healthy });
        var lagging = alerts.Current.LaggingReplicas;
        if (lagging.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy(
                string.Create(CultureInfo.InvariantCulture, $"Every replica lags at most {maxLagMs:F0} ms."), data));
        }

        data["laggingReplicas"] = lagging.Select(r => r.Replica).ToArray();
        return Task.FromResult(HealthCheckResult.Degraded(string.Join("; ", lagging.Select(r => Describe(r, maxLagMs))), data: data));
    }

    private static string Describe(ReplicaAlert alert, double maxLagMs)
    {
        var culture = CultureInfo.InvariantCulture;
        if (!alert.Healthy)
        {
            return string.Create(culture, $"replica {alert.Replica} is unhealthy ({alert.Error ?? "no reason given"}), lag {alert.LagMs:F0} ms");
        }

        return alert.LagMs > maxLagMs
            ? string.Create(culture, $"replica {alert.Replica} lags {alert.LagMs:F0} ms, over the {maxLagMs:F0} ms limit")
            : string.Create(culture, $"replica {alert.Replica} lagged up to {alert.PeakLagMs:F0} ms, over the {maxLagMs:F0} ms limit; now {alert.LagMs:F0} ms, clearing");
    }
}

/// <summary>Readiness entry <c>primary-read-share</c>: Degraded while the primary serves more than its share of reads.</summary>
public sealed class PrimaryReadShareHealthCheck(ReplicaAlerts alerts) : IHealthCheck
{
    public const string Name = "primary-read-share";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var options = alerts.Options;
        var state = alerts.Current;
        var reads = state.Reads;
        var data = new Dictionary<string, object>
        {
            ["primaryShare"] = Math.Round(reads.PrimaryShare, 4),
            ["primaryReads"] = reads.PrimaryReads,
            ["replicaReads"] = reads.ReplicaReads,
            ["windowSeconds"] = reads.Window.TotalSeconds,
            ["maxPrimaryShare"] = options.MaxPrimaryReadShare,
        };
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"the primary served {reads.PrimaryShare:P1} of {reads.Reads} reads in the last {reads.Window.TotalSeconds:F0} s (limit {options.MaxPrimaryReadShare:P0})");
        return Task.FromResult(state.PrimaryShareHigh
            ? HealthCheckResult.Degraded("Too many reads on the primary: " + summary + ".", data: data)
            : HealthCheckResult.Healthy(char.ToUpperInvariant(summary[0]) + summary[1..] + ".", data));
    }
}
