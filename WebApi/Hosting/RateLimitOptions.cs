using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.WebApi.Hosting;

/// <summary>Per-user rate limits (token buckets) on writes, bound from the <c>RateLimiting</c> section (strong reads are limited by the <c>Consistency</c> section).</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimiting";
    public const string WritesPolicy = "writes";

    [Range(1, 100_000)]
    public int WritesPerSecond { get; set; } = 20;

    [Range(1, 100_000)]
    public int WriteBurst { get; set; } = 40;
}
