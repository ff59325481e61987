using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.WebApi.Jobs;

/// <summary>The background worker's settings, bound from the <c>Worker</c> section.</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    public bool Enabled { get; set; } = true;

    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    [Range(1, 1000)]
    public int BatchSize { get; set; } = 50;

    /// <summary>Read the triggering data as of the position the job was claimed at. Off only to show what goes wrong without it.</summary>
    public bool ReadAsOfClaim { get; set; } = true;

    /// <summary>How long a job's read may wait for a replica to replay its write before reading the primary.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan MaxReplicaWait { get; set; } = TimeSpan.FromSeconds(2);
}
