using Npgsql;

namespace OrleansRaw.Bench.Harness;

/// <summary>The benchmark's primary and two replicas: lag through <c>scripts/services lag</c>, positions and facts through SQL.</summary>
public sealed class Replicas(BenchEnvironment env) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _primary = NpgsqlDataSource.Create(BenchEnvironment.NodeConnection(env.Topology.Primary, "postgres"));
    private readonly NpgsqlDataSource[] _replicas =
    [
        NpgsqlDataSource.Create(BenchEnvironment.NodeConnection(env.Topology.Replica1, "postgres")),
        NpgsqlDataSource.Create(BenchEnvironment.NodeConnection(env.Topology.Replica2, "postgres")),
    ];

    private TimeSpan _current = TimeSpan.MinValue;

    /// <summary>Sets both replicas' apply delay and waits until the replicas apply it; after a decrease, until they caught up.</summary>
    public async Task SetLagAsync(TimeSpan lag, CancellationToken cancellationToken)
    {
        var ms = (int)lag.TotalMilliseconds;
        foreach (var replica in new[] { "replica-1", "replica-2" })
        {
            await Shell.RunAsync(Path.Combine(env.Root, "scripts", "services"), ["lag", replica, ms.ToString()], env.ServicesEnvironment, cancellationToken);
        }

        // The reload is asynchronous: wait until new sessions see the value, then give the startup process (which
        // applies WAL) a moment to reload as well.
        foreach (var replica in _replicas)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (await ScalarAsync<string>(replica, "SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'", cancellationToken) != ms.ToString())
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("a replica did not take the new recovery_min_apply_delay within 10 s");
                }

                await Task.Delay(20, cancellationToken);
            }
        }

        await Task.Delay(200, cancellationToken);
        if (lag < _current)
        {
            await WaitForCatchUpAsync(cancellationToken);
        }

        _current = lag;
    }

    /// <summary>Waits until both replicas replayed everything the primary had written when this was called.</summary>
    public async Task WaitForCatchUpAsync(CancellationToken cancellationToken)
    {
        var target = await ScalarAsync<string>(_primary, "SELECT pg_current_wal_insert_lsn()::text", cancellationToken);
        foreach (var replica in _replicas)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await ScalarAsync<bool>(replica, $"SELECT pg_last_wal_replay_lsn() < '{target}'::pg_lsn", cancellationToken))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("a replica did not catch up within 60 s");
                }

                await Task.Delay(20, cancellationToken);
            }
        }
    }

    /// <summary>The primary's WAL insert position now, with its timeline.</summary>
    public async Task<WalPosition> PrimaryPositionAsync(CancellationToken cancellationToken)
    {
        var text = await ScalarAsync<string>(_primary, "SELECT l::text || ' ' || pg_walfile_name(l) FROM pg_current_wal_insert_lsn() AS l", cancellationToken);
        return WalPosition.FromServer(text.Split(' ')[0], text.Split(' ')[1]);
    }

    /// <summary>
    /// The postmaster PIDs of the primary and of each replica: the parent of a backend serving this connection, so it
    /// is found wherever <c>scripts/services</c> put the data folders.
    /// </summary>
    public async Task<(int Primary, IReadOnlyList<int> Replicas)> PostmasterPidsAsync(CancellationToken cancellationToken)
    {
        var primary = ProcessCpu.ParentOf(await ScalarAsync<int>(_primary, "SELECT pg_backend_pid()", cancellationToken));
        var replicas = new List<int>();
        foreach (var replica in _replicas)
        {
            replicas.Add(ProcessCpu.ParentOf(await ScalarAsync<int>(replica, "SELECT pg_backend_pid()", cancellationToken)));
        }

        return (primary, replicas);
    }

    public async Task<string> ServerVersionAsync(CancellationToken cancellationToken) =>
        await ScalarAsync<string>(_primary, "SHOW server_version", cancellationToken);

    /// <summary>WAL bytes the primary has written so far (for the write rate that pgpool's byte threshold is about).</summary>
    public async Task<long> WalBytesAsync(CancellationToken cancellationToken) =>
        await ScalarAsync<long>(_primary, "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint", cancellationToken);

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource source, string sql, CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        await _primary.DisposeAsync();
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }
    }
}
