namespace OrleansRaw.Grains.Replicas;

/// <summary>Where the PostgreSQL nodes are, bound from the <c>Database</c> section (shared with the Web API's settings).</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>The primary's connection string.</summary>
    public string Primary { get; set; } = "";

    /// <summary>The streaming replicas, each named as in its <c>application_name</c>.</summary>
    public List<ReplicaEndpoint> Replicas { get; set; } = [];
}

/// <summary>One replica's name and connection string.</summary>
public sealed class ReplicaEndpoint
{
    public string Name { get; set; } = "";

    public string ConnectionString { get; set; } = "";
}
