using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.ReadYourWrites;

/// <summary>How long the outcomes of writes sent with an <c>Idempotency-Key</c> are kept, bound from the <c>Idempotency</c> section.</summary>
public sealed class IdempotencyOptions
{
    /// <summary>The configuration section these settings are bound from.</summary>
    public const string SectionName = "Idempotency";

    /// <summary>A key answers with its first outcome for this long; after it, the key is free again.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan KeepFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often each API instance deletes expired keys (a claim also replaces an expired row of its own key).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How much of a keyed request's body is kept in memory for its fingerprint; beyond it, a temporary file.</summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public long InMemoryBodyBytes { get; set; } = 64 * 1024;
}
