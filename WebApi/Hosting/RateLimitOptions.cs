using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.WebApi.Hosting;

/// <summary>Per-user rate limits (token buckets) on writes and on strong reads, bound from the <c>RateLimiting</c> section.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimiting";
    public const string WritesPolicy = "writes";

    [Range(1, 100_000)]
    public int WritesPerSecond { get; set; } = 20;

    [Range(1, 100_000)]
    public int WriteBurst { get; set; } = 40;

    /// <summary>Strong reads (<c>consistency=strong</c>) always cost the primary: a signed-in user gets this many a second.</summary>
    [Range(1, 100_000)]
    public int StrongReadsPerSecond { get; set; } = 5;

    [Range(1, 100_000)]
    public int StrongReadBurst { get; set; } = 20;
}
