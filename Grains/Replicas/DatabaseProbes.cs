using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansRaw.Routing;

namespace OrleansRaw.Grains.Replicas;

/// <summary>
/// The monitor's view into PostgreSQL: one data source per node, created once per silo from the <c>Database</c>
/// section's connection strings, or the silo host's keyed data sources that section names (used as they are).
/// </summary>
internal sealed class DatabaseProbes : IAsyncDisposable
{
    private readonly NpgsqlDataSource _primary;
    private readonly Dictionary<string, NpgsqlDataSource> _replicas;
    private readonly List<NpgsqlDataSource> _owned = [];

    public DatabaseProbes(IOptions<DatabaseOptions> options, IServiceProvider services)
    {
        var db = options.Value;
        _primary = db.PrimaryDataSource is { Length: > 0 } key
            ? AppDataSource(services, key, $"{DatabaseOptions.SectionName}:{nameof(DatabaseOptions.PrimaryDataSource)}")
            : Own(WithName(db.Primary, "orleansraw-monitor", db.MaxAutoPrepare));
        _replicas = db.Replicas.Select((r, i) => (r.Name, Source: r.DataSource is { Length: > 0 } replicaKey
                ? AppDataSource(services, replicaKey, $"{DatabaseOptions.SectionName}:Replicas:{i}:{nameof(DatabaseOptions.ReplicaNode.DataSource)}")
                : Own(WithName(r.ConnectionString, "orleansraw-monitor", db.MaxAutoPrepare))))
            .ToDictionary(r => r.Name, r => r.Source, StringComparer.Ordinal);
        ReplicaNames = [.. db.Replicas.Select(r => r.Name)];
    }

    private static NpgsqlDataSource AppDataSource(IServiceProvider services, string key, string setting) =>
        services.GetKeyedService<NpgsqlDataSource>(key) ?? throw new InvalidOperationException(
            $"{setting} names the data source '{key}', but the silo has no NpgsqlDataSource registered under that key: register "
            + $"it in the silo's services too (Aspire: builder.AddKeyedNpgsqlDataSource(\"{key}\")), or give a connection string instead.");

    private NpgsqlDataSource Own(string connectionString)
    {
        var source = NpgsqlDataSource.Create(connectionString);
        _owned.Add(source);
        return source;
    }

    public IReadOnlyList<string> ReplicaNames { get; }

    /// <summary>The primary's WAL insert position (what a new write will be at or after) and its timeline.</summary>
    public async Task<WalPosition> ReadPrimaryAsync(CancellationToken cancellationToken)
    {
        // pg_walfile_name names the file on the server's current insert timeline, which a promotion changes at once
        // (pg_control_checkpoint() would name the old one until the next checkpoint completes).
        await using var command = _primary.CreateCommand("SELECT l::text, pg_walfile_name(l) FROM pg_current_wal_insert_lsn() AS l");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return WalPosition.FromServer(reader.GetString(0), reader.GetString(1));
    }

    /// <summary>Whether a node configured as a replica is still a standby, the last position it replayed, and what it says of its timeline.</summary>
    public async Task<ReplicaProbe> ReadReplicaAsync(string name, CancellationToken cancellationToken)
    {
        // A standby names no replay timeline in SQL. The WAL receiver's received_tli is the timeline it streams, which
        // the startup process asks for only once it accepted that timeline's history (a standby past the fork point
        // refuses it and keeps streaming, or waiting, on the old one); it is null while no receiver runs, and for a
        // role without pg_read_all_stats. The last checkpoint's timeline is a lower bound that lags until a
        // restartpoint. A node out of recovery names its own timeline.
        await using var command = _replicas[name].CreateCommand(
            """
            SELECT pg_is_in_recovery(),
                   COALESCE(pg_last_wal_replay_lsn(), '0/0'::pg_lsn)::text,
                   CASE WHEN pg_is_in_recovery() THEN (SELECT received_tli FROM pg_stat_wal_receiver)::bigint END,
                   CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_insert_lsn()) END,
                   (SELECT timeline_id FROM pg_control_checkpoint())::bigint
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ReplicaProbe(
            reader.GetBoolean(0),
            Lsn.Parse(reader.GetString(1)),
            reader.IsDBNull(2) ? 0 : (uint)reader.GetInt64(2),
            reader.IsDBNull(3) ? 0 : WalPosition.TimelineOfWalFile(reader.GetString(3)),
            reader.IsDBNull(4) ? 0 : (uint)reader.GetInt64(4));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _owned)
        {
            await source.DisposeAsync();
        }
    }

    // A few connections per node are plenty: probes run one per poll, and activations share one query at a time.
    private static string WithName(string connectionString, string applicationName, int maxAutoPrepare) =>
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName, MaxPoolSize = 4, MaxAutoPrepare = maxAutoPrepare }.ConnectionString;
}
