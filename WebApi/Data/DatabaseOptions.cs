using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.WebApi.Data;

/// <summary>Where the PostgreSQL nodes are, bound from the <c>Database</c> section (the silos read the same section).</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    public string Primary { get; set; } = "";

    public List<ReplicaNode> Replicas { get; set; } = [];

    /// <summary>
    /// The bulkhead: critical (strong) reads run on a primary pool of their own with at most this many connections, so
    /// however many arrive, the pool writes use is never theirs. The primary's <c>max_connections</c> must hold both.
    /// </summary>
    [Range(1, 1000)]
    public int CriticalReadConnections { get; set; } = 10;

    /// <summary>How long a critical read may wait for one of those connections before it is answered 503 with <c>Retry-After</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan CriticalReadQueueTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// False only to measure against: critical reads then share the writes' pool without limit (the tests show writes
    /// waiting behind them).
    /// </summary>
    public bool IsolateCriticalReads { get; set; } = true;

    /// <summary>One replica: its name (as the monitor reports it) and connection string.</summary>
    public sealed class ReplicaNode
    {
        public string Name { get; set; } = "";

        public string ConnectionString { get; set; } = "";
    }
}
