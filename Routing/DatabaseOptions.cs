using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.Routing;

/// <summary>
/// Where the PostgreSQL nodes are and how long the request side waits on them, bound from the <c>Database</c> section
/// by silos (which use only the nodes) and API servers alike.
/// </summary>
public sealed class DatabaseOptions
{
    /// <summary>The configuration section these settings are bound from.</summary>
    public const string SectionName = "Database";

    /// <summary>The primary's connection string; or leave it empty and name a data source in <see cref="PrimaryDataSource"/>.</summary>
    public string Primary { get; set; } = "";

    /// <summary>
    /// The service key of a keyed <c>NpgsqlDataSource</c> the app registered for the primary (Aspire's
    /// <c>builder.AddKeyedNpgsqlDataSource("primary")</c>, or Npgsql's <c>services.AddNpgsqlDataSource(connectionString,
    /// serviceKey: "primary")</c>), in place of <see cref="Primary"/>. The layer then uses that data source as it is
    /// configured: <see cref="ConnectTimeout"/>, <see cref="CommandTimeout"/> and <see cref="MaxAutoPrepare"/> are not
    /// applied to it (and setting them fails at start), so give it <c>Timeout</c>, <c>Command Timeout</c>,
    /// <c>Cancellation Timeout</c> and <c>Max Auto Prepare</c> yourself (the defaults here, 1 s, 2 s, 250 ms and 32,
    /// are what the layer was measured with; <c>Max Auto Prepare=0</c> behind a transaction pooler). Critical reads
    /// then share its pool, still at most <see cref="CriticalReadConnections"/> at once: leave room for them in its
    /// <c>Maximum Pool Size</c>. The app owns and disposes it.
    /// </summary>
    public string? PrimaryDataSource { get; set; }

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

    /// <summary>One replica: its name (as the monitor reports it) and where to reach it.</summary>
    public sealed class ReplicaNode
    {
        /// <summary>The replica's name: its <c>application_name</c> on the primary (<c>pg_stat_replication</c>).</summary>
        public string Name { get; set; } = "";

        /// <summary>Its connection string; or leave it empty and name a data source in <see cref="DataSource"/>.</summary>
        public string ConnectionString { get; set; } = "";

        /// <summary>
        /// The service key of a keyed <c>NpgsqlDataSource</c> the app registered for this replica, in place of
        /// <see cref="ConnectionString"/>, used as it is configured (see <see cref="PrimaryDataSource"/>). A replica read
        /// is bounded by <see cref="ReplicaReadTimeout"/> whatever its <c>Command Timeout</c>; one that waits for replay
        /// runs up to 5 s on the server, so keep <c>Command Timeout</c> above that.
        /// </summary>
        public string? DataSource { get; set; }
    }

    /// <summary>True when any node comes from a data source the app registered, not from a connection string.</summary>
    internal bool UsesAppDataSources =>
        !string.IsNullOrWhiteSpace(PrimaryDataSource) || Replicas.Any(r => !string.IsNullOrWhiteSpace(r.DataSource));

    /// <summary>
    /// What makes the nodes unusable, or null: a primary, and a name and a connection string or data source for each
    /// replica, names unique; and no connection setting the layer cannot apply to an app's data source.
    /// </summary>
    internal string? NodesError() =>
        (string.IsNullOrWhiteSpace(Primary), string.IsNullOrWhiteSpace(PrimaryDataSource)) switch
        {
            (true, true) => $"{SectionName}:Primary (a connection string) or {SectionName}:PrimaryDataSource (the key of an NpgsqlDataSource the app registered) is required: set one of them",
            (false, false) => $"{SectionName}:Primary and {SectionName}:PrimaryDataSource are both set: set either Primary (a connection string) or PrimaryDataSource (the key of an NpgsqlDataSource the app registered), not both",
            _ => ReplicaError(),
        };

    private string? ReplicaError()
    {
        for (var i = 0; i < Replicas.Count; i++)
        {
            var (replica, at) = (Replicas[i], $"{SectionName}:Replicas:{i}");
            var error = string.IsNullOrWhiteSpace(replica.Name)
                    ? $"{at}:Name is required: each replica needs a Name (its application_name) and one of ConnectionString or DataSource"
                : (string.IsNullOrWhiteSpace(replica.ConnectionString), string.IsNullOrWhiteSpace(replica.DataSource)) switch
                {
                    (true, true) => $"{at}:ConnectionString or {at}:DataSource (the key of an NpgsqlDataSource the app registered) is required for replica '{replica.Name}': set one of them",
                    (false, false) => $"{at}:ConnectionString and {at}:DataSource are both set for replica '{replica.Name}': set one of them, not both",
                    _ => null,
                };
            if (error is not null)
            {
                // A newcomer often writes the replicas as an object keyed by name: show the list's shape.
                return $"{error} (Replicas is a list: {SectionName}:Replicas:0:Name, {SectionName}:Replicas:0:ConnectionString, {SectionName}:Replicas:1:Name, ...)";
            }
        }

        return Replicas.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count() != Replicas.Count ? $"{SectionName}:Replicas names must be unique"
            : UsesAppDataSources && NotAppliedToAppDataSources() is { } setting
                ? $"{SectionName}:{setting} is not applied to the data sources the app registered: set it on them (their connection string or builder) and remove it from {SectionName}"
            : null;
    }

    private string? NotAppliedToAppDataSources()
    {
        var defaults = new DatabaseOptions();
        return ConnectTimeout != defaults.ConnectTimeout ? nameof(ConnectTimeout)
            : CommandTimeout != defaults.CommandTimeout ? nameof(CommandTimeout)
            : MaxAutoPrepare != defaults.MaxAutoPrepare ? nameof(MaxAutoPrepare)
            : null;
    }
}
