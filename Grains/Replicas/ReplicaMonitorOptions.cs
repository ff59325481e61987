using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.Grains.Replicas;

/// <summary>Replica monitoring settings, bound from the <c>ReplicaMonitor</c> section.</summary>
public sealed class ReplicaMonitorOptions
{
    /// <summary>The configuration section these settings are bound from.</summary>
    public const string SectionName = "ReplicaMonitor";

    /// <summary>How often the primary and each replica are probed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>A probe slower than this counts as a failure.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive failed probes after which a replica is unhealthy.</summary>
    [Range(1, 1000)]
    public int FailuresBeforeUnhealthy { get; set; } = 3;

    /// <summary>A replica lagging more than this is unhealthy until it catches up.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan MaxLag { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How much lag history feeds the P99 figure (Window mode's <c>auto</c> grace period).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LagWindow { get; set; } = TimeSpan.FromMinutes(1);
}
