namespace OrleansRaw.WebApi.Data;

/// <summary>Where the PostgreSQL nodes are, bound from the <c>Database</c> section (the silos read the same section).</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    public string Primary { get; set; } = "";

    public List<ReplicaNode> Replicas { get; set; } = [];

    /// <summary>One replica: its name (as the monitor reports it) and connection string.</summary>
    public sealed class ReplicaNode
    {
        public string Name { get; set; } = "";

        public string ConnectionString { get; set; } = "";
    }
}
