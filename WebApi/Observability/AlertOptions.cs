using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.WebApi.Observability;

/// <summary>When <c>/health/ready</c> turns Degraded and an alert line is logged, bound from the <c>Alerts</c> section.</summary>
public sealed class AlertOptions
{
    public const string SectionName = "Alerts";

    /// <summary>A replica lagging more than this (or unhealthy) is an alert.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan MaxReplicaLag { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The primary serving more than this share of reads (0–1) over <see cref="PrimaryReadShareWindow"/> is an alert.</summary>
    [Range(0.0, 1.0)]
    public double MaxPrimaryReadShare { get; set; } = 0.15;

    /// <summary>The sliding window the primary's read share is measured over.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PrimaryReadShareWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Fewer reads than this in the window say nothing about the share (one critical read after a quiet minute is 100 %).</summary>
    [Range(1, int.MaxValue)]
    public int MinReadsForPrimaryShare { get; set; } = 20;

    /// <summary>An alert clears only after its figure stayed within the limit this long, so a figure hovering at the limit does not flap.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClearAfter { get; set; } = TimeSpan.FromSeconds(2);
}
