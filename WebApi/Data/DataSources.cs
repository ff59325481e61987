using Microsoft.Extensions.Options;
using Npgsql;

namespace OrleansRaw.WebApi.Data;

/// <summary>One pooled <see cref="NpgsqlDataSource"/> per PostgreSQL node, created once at start.</summary>
public sealed class DataSources : IAsyncDisposable
{
    private readonly Dictionary<string, NpgsqlDataSource> _replicas;

    public DataSources(IOptions<DatabaseOptions> options)
    {
        var db = options.Value;
        Primary = NpgsqlDataSource.Create(db.Primary);
        _replicas = db.Replicas.ToDictionary(r => r.Name, r => NpgsqlDataSource.Create(r.ConnectionString), StringComparer.Ordinal);
    }

    public NpgsqlDataSource Primary { get; }

    /// <summary>The named replica, or null when this API does not know it (the read then goes to the primary).</summary>
    public NpgsqlDataSource? Replica(string name) => _replicas.GetValueOrDefault(name);

    public async ValueTask DisposeAsync()
    {
        await Primary.DisposeAsync();
        foreach (var replica in _replicas.Values)
        {
            await replica.DisposeAsync();
        }
    }
}
