using Microsoft.Extensions.Options;
using Npgsql;

namespace OrleansRaw.Grains.Replicas;

/// <summary>The monitor's view into PostgreSQL: one data source per node, created once per silo.</summary>
public sealed class DatabaseProbes : IAsyncDisposable
{
    private readonly NpgsqlDataSource _primary;
    private readonly Dictionary<string, NpgsqlDataSource> _replicas;

    public DatabaseProbes(IOptions<DatabaseOptions> options)
    {
        var db = options.Value;
        _primary = NpgsqlDataSource.Create(WithName(db.Primary, "orleansraw-monitor"));
        _replicas = db.Replicas.ToDictionary(r => r.Name, r => NpgsqlDataSource.Create(WithName(r.ConnectionString, "orleansraw-monitor")));
        ReplicaNames = [.. db.Replicas.Select(r => r.Name)];
    }

    public IReadOnlyList<string> ReplicaNames { get; }

    /// <summary>The primary's WAL insert position (what a new write will be at or after).</summary>
    public async Task<Lsn> ReadPrimaryLsnAsync(CancellationToken cancellationToken)
    {
        await using var command = _primary.CreateCommand("SELECT pg_current_wal_insert_lsn()::text");
        return Lsn.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    /// <summary>Whether a replica is still a standby, and the last position it replayed.</summary>
    public async Task<(bool InRecovery, Lsn ReplayLsn)> ReadReplicaAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = _replicas[name].CreateCommand(
            "SELECT pg_is_in_recovery(), COALESCE(pg_last_wal_replay_lsn(), '0/0'::pg_lsn)::text");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetBoolean(0), Lsn.Parse(reader.GetString(1)));
    }

    public async ValueTask DisposeAsync()
    {
        await _primary.DisposeAsync();
        foreach (var source in _replicas.Values)
        {
            await source.DisposeAsync();
        }
    }

    // A few connections per node are plenty: probes run one per poll, and activations share one query at a time.
    private static string WithName(string connectionString, string applicationName) =>
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName, MaxPoolSize = 4 }.ConnectionString;
}
