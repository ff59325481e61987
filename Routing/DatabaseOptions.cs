using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.Routing;

/// <summary>
/// Where the PostgreSQL nodes are and how long the request side waits on them, bound from the <c>Database</c> section
/// by silos (which use only the nodes) and API servers alike.
/// </summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>The primary's connection string.</summary>
    public string Primary { get; set; } = "";

    /// <summary>The streaming replicas, each named as in its <c>application_name</c> (the name the monitor reports).</summary>
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
    /// How long opening a connection may take (Npgsql's <c>Timeout</c>, whole seconds, on every node): a node whose
    /// processes hang accepts the TCP connection but never answers, and the pool waits no longer for a free connection.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a statement on the primary may run (Npgsql's <c>Command Timeout</c>, whole seconds): a hung primary
    /// answers 503 after about this long, not after Npgsql's 30 s. Migrations are exempt.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a replica read may take, opening included, beyond the wait for replay its decision allows; after it the
    /// read runs on the primary (<c>replicas-unavailable</c>). Well under a request's patience: a replica that stopped
    /// answering costs a read this much, until the monitor marks it unhealthy.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ReplicaReadTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How many statements each connection keeps prepared (Npgsql's <c>Max Auto Prepare</c>, in place of any in the
    /// connection strings): a statement run a second time skips the server's parse and plan, which is most of what the
    /// short reads, writes and replay checks here cost a server. 0 turns it off, as it must be behind a pooler that
    /// hands a session's statements to another server connection (pgpool, PgBouncer in transaction mode).
    /// </summary>
    [Range(0, 1000)]
    public int MaxAutoPrepare { get; set; } = 32;

    /// <summary>After a replica read failed or timed out, how long this API sends no reads to that replica.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ReplicaPause { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// False only to measure against: critical reads then share the writes' pool without limit (the tests show writes
    /// waiting behind them).
    /// </summary>
    public bool IsolateCriticalReads { get; set; } = true;

    /// <summary>
    /// True: the API applies the read-your-writes library's migrations (and the app's) at start. False for an app whose
    /// own migration tool applies the library's schema (<c>sql/orleansraw-schema.sql</c> in the
    /// <c>OrleansRaw.ReadYourWrites</c> package): the API then applies nothing and refuses to start while that schema
    /// is missing. Silos ignore it.
    /// </summary>
    public bool ApplyMigrations { get; set; } = true;

    /// <summary>One replica: its name (as the monitor reports it) and connection string.</summary>
    public sealed class ReplicaNode
    {
        public string Name { get; set; } = "";

        public string ConnectionString { get; set; } = "";
    }

    /// <summary>What makes the nodes unusable, or null: a primary, and a name and connection string for each replica, names unique.</summary>
    public string? NodesError() =>
        string.IsNullOrWhiteSpace(Primary) ? $"{SectionName}:Primary is required"
        : Replicas.Any(r => string.IsNullOrWhiteSpace(r.Name) || string.IsNullOrWhiteSpace(r.ConnectionString)) ? $"each {SectionName}:Replicas entry needs Name and ConnectionString"
        : Replicas.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count() != Replicas.Count ? $"{SectionName}:Replicas names must be unique"
        : null;
}
