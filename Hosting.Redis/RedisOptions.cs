namespace OrleansRaw.Hosting;

/// <summary>The Redis that holds the Orleans cluster's membership, bound from the <c>Redis</c> section by silos and clients alike.</summary>
public sealed class RedisOptions
{
    /// <summary>The configuration section these settings are bound from.</summary>
    public const string SectionName = "Redis";

    /// <summary>A StackExchange.Redis configuration string (<c>host:port</c>, and any options after commas).</summary>
    public string ConnectionString { get; set; } = "127.0.0.1:56379";
}
