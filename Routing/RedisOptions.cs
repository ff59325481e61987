namespace OrleansRaw.Routing;

/// <summary>The Redis that holds cluster membership and users' consistency state, bound from the <c>Redis</c> section.</summary>
public sealed class RedisOptions
{
    public const string SectionName = "Redis";

    public string ConnectionString { get; set; } = "127.0.0.1:56379";
}
