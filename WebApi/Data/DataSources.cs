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
        CriticalReads = db.IsolateCriticalReads
            ? NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.Primary) { MaxPoolSize = db.CriticalReadConnections, MinPoolSize = 0 }.ConnectionString)
            : Primary;
        _replicas = db.Replicas.ToDictionary(r => r.Name, r => NpgsqlDataSource.Create(r.ConnectionString), StringComparer.Ordinal);
    }

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
