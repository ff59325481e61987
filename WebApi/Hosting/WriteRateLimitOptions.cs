using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.WebApi.Hosting;

/// <summary>Per-user write rate limit (a token bucket), bound from the <c>RateLimiting</c> section.</summary>
public sealed class WriteRateLimitOptions
{
    public const string SectionName = "RateLimiting";
    public const string WritesPolicy = "writes";

    [Range(1, 100_000)]
    public int WritesPerSecond { get; set; } = 20;

    [Range(1, 100_000)]
    public int WriteBurst { get; set; } = 40;
}
