using Microsoft.Extensions.Options;
using Npgsql;

namespace OrleansRaw.ReadYourWrites;

/// <summary>One pooled <see cref="NpgsqlDataSource"/> per PostgreSQL node, created once at start.</summary>
public sealed class DataSources : IAsyncDisposable
{
    private readonly Dictionary<string, NpgsqlDataSource> _replicas;

    public DataSources(IOptions<DatabaseOptions> options)
    {
        var db = options.Value;
        Primary = NpgsqlDataSource.Create(WithTimeouts(db.Primary, db).ConnectionString);
        CriticalReads = db.IsolateCriticalReads
            ? NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(WithTimeouts(db.Primary, db).ConnectionString)
            {
                MaxPoolSize = db.CriticalReadConnections,
                MinPoolSize = 0,
            }.ConnectionString)
            : Primary;
        // A replica read is bounded by Database:ReplicaReadTimeout in RoutedDatabase (and then abandoned); the command
        // timeout here only ends an abandoned read, and must leave room for the longest wait for replay (a worker's).
        _replicas = db.Replicas.ToDictionary(r => r.Name, r => NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(WithTimeouts(r.ConnectionString, db).ConnectionString)
        {
            CommandTimeout = Seconds(db.CommandTimeout + LongestReplayWait),
        }.ConnectionString), StringComparer.Ordinal);
    }

    /// <summary>
    /// The configured timeouts and statement preparation in place of any in the connection string. After a timeout
    /// Npgsql asks the server to cancel the statement and waits for its answer; a hung server never answers, so that
    /// wait is kept short.
    /// </summary>
    internal static NpgsqlConnectionStringBuilder WithTimeouts(string connectionString, DatabaseOptions db) => new(connectionString)
    {
        Timeout = Seconds(db.ConnectTimeout),
        CommandTimeout = Seconds(db.CommandTimeout),
        CancellationTimeout = CancellationWaitMs,
        MaxAutoPrepare = db.MaxAutoPrepare,
    };

    private const int CancellationWaitMs = 250;

    private static readonly TimeSpan LongestReplayWait = TimeSpan.FromSeconds(5);

    private static int Seconds(TimeSpan timeout) => (int)Math.Ceiling(timeout.TotalSeconds);

    public NpgsqlDataSource Primary { get; }

    /// <summary>The primary again, through a small pool of its own for critical reads only (the bulkhead), unless isolation is off.</summary>
    public NpgsqlDataSource CriticalReads { get; }

    /// <summary>The named replica, or null when this API does not know it (the read then goes to the primary).</summary>
    public NpgsqlDataSource? Replica(string name) => _replicas.GetValueOrDefault(name);

    public async ValueTask DisposeAsync()
    {
        if (!ReferenceEquals(CriticalReads, Primary))
        {
            await CriticalReads.DisposeAsync();
        }

        await Primary.DisposeAsync();
        foreach (var replica in _replicas.Values)
        {
            await replica.DisposeAsync();
        }
    }
}
