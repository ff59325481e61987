using Microsoft.Extensions.Options;
using Npgsql;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// One pooled <see cref="NpgsqlDataSource"/> per PostgreSQL node, created once at start from the connection strings of
/// the <c>Database</c> section, or the app's own keyed data sources that section names (which the app owns).
/// </summary>
internal sealed class DataSources : IAsyncDisposable
{
    private readonly Dictionary<string, NpgsqlDataSource> _replicas;
    private readonly List<NpgsqlDataSource> _owned = [];

    public DataSources(IOptions<DatabaseOptions> options, IServiceProvider services)
    {
        var db = options.Value;
        if (db.PrimaryDataSource is { Length: > 0 } primaryKey)
        {
            // The app's data source, as it configured it; critical reads share its pool (the bulkhead still caps them).
            Primary = AppDataSource(services, primaryKey, $"{DatabaseOptions.SectionName}:{nameof(DatabaseOptions.PrimaryDataSource)}");
            CriticalReads = Primary;
        }
        else
        {
            Primary = Own(WithTimeouts(db.Primary, db).ConnectionString);
            CriticalReads = db.IsolateCriticalReads
                ? Own(new NpgsqlConnectionStringBuilder(WithTimeouts(db.Primary, db).ConnectionString)
                {
                    MaxPoolSize = db.CriticalReadConnections,
                    MinPoolSize = 0,
                }.ConnectionString)
                : Primary;
        }

        // A replica read is bounded by Database:ReplicaReadTimeout in RoutedDatabase (and then abandoned); the command
        // timeout here only ends an abandoned read, and must leave room for the longest wait for replay (a worker's).
        _replicas = db.Replicas.Select((r, i) => (r.Name, Source: r.DataSource is { Length: > 0 } key
                ? AppDataSource(services, key, $"{DatabaseOptions.SectionName}:Replicas:{i}:{nameof(DatabaseOptions.ReplicaNode.DataSource)}")
                : Own(new NpgsqlConnectionStringBuilder(WithTimeouts(r.ConnectionString, db).ConnectionString)
                {
                    CommandTimeout = Seconds(db.CommandTimeout + LongestReplayWait),
                }.ConnectionString)))
            .ToDictionary(r => r.Name, r => r.Source, StringComparer.Ordinal);
    }

    /// <summary>The keyed data source the setting names, or an error that says how to register it.</summary>
    internal static NpgsqlDataSource AppDataSource(IServiceProvider services, string key, string setting) =>
        services.GetKeyedService<NpgsqlDataSource>(key) ?? throw new InvalidOperationException(
            $"{setting} names the data source '{key}', but no NpgsqlDataSource is registered under that key: register it "
            + $"(Aspire: builder.AddKeyedNpgsqlDataSource(\"{key}\"); Npgsql: services.AddNpgsqlDataSource(connectionString, serviceKey: \"{key}\")), "
            + "or give a connection string instead.");

    private NpgsqlDataSource Own(string connectionString)
    {
        var source = NpgsqlDataSource.Create(connectionString);
        _owned.Add(source);
        return source;
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

    /// <summary>Disposes the data sources made here; the app's stay the app's.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var source in _owned)
        {
            await source.DisposeAsync();
        }
    }
}
