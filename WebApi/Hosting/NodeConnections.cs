using Microsoft.Extensions.Options;
using Npgsql;

namespace OrleansRaw.WebApi.Hosting;

/// <summary>
/// The demo's own small pools to each PostgreSQL node, from the same <c>Database</c> section the layer reads, for what
/// is neither a user's read nor a write: the readiness check and the development lag switch. Users' data goes through
/// <see cref="RoutedDatabase"/> only.
/// </summary>
public sealed class NodeConnections : IAsyncDisposable
{
    private readonly Dictionary<string, NpgsqlDataSource> _replicas;

    public NodeConnections(IOptions<DatabaseOptions> options)
    {
        var db = options.Value;
        Primary = NpgsqlDataSource.Create(Small(db.Primary));
        _replicas = db.Replicas.ToDictionary(r => r.Name, r => NpgsqlDataSource.Create(Small(r.ConnectionString)), StringComparer.Ordinal);
    }

    public NpgsqlDataSource Primary { get; }

    /// <summary>The named replica, or null when none is configured under that name.</summary>
    public NpgsqlDataSource? Replica(string name) => _replicas.GetValueOrDefault(name);

    public async ValueTask DisposeAsync()
    {
        await Primary.DisposeAsync();
        foreach (var replica in _replicas.Values)
        {
            await replica.DisposeAsync();
        }
    }

    // A check that answers in 2 s or not at all needs no more than a couple of connections, opened quickly.
    private static string Small(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 2, Timeout = 2, CommandTimeout = 5 }.ConnectionString;
}
