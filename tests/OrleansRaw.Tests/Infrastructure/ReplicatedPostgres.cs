using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OrleansRaw.ReadYourWrites;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>The real primary and its two streaming replicas, with the application schema applied and lag under the test's control.</summary>
public sealed class ReplicatedPostgres : IAsyncDisposable
{
    private ReplicatedPostgres()
    {
        Primary = NpgsqlDataSource.Create(TestServices.Primary);
        Replica1 = NpgsqlDataSource.Create(TestServices.Replica1);
        Replica2 = NpgsqlDataSource.Create(TestServices.Replica2);
    }

    /// <summary>The demo API's migrations, as it adds them.</summary>
    internal static MigrationSet WebApiMigrations { get; } = new(typeof(OrleansRaw.WebApi.Hosting.ApiHosting).Assembly, "OrleansRaw.WebApi.Data.Migrations.");

    public NpgsqlDataSource Primary { get; }
    public NpgsqlDataSource Replica1 { get; }
    public NpgsqlDataSource Replica2 { get; }

    public NpgsqlDataSource Replica(string name) => name switch
    {
        "replica-1" => Replica1,
        "replica-2" => Replica2,
        _ => throw new ArgumentException("unknown replica " + name),
    };

    public static async Task<ReplicatedPostgres> StartAsync()
    {
        await TestServices.EnsureUpAsync();
        var db = new ReplicatedPostgres();
        await SchemaMigrator.ApplyAsync(db.Primary, [MigrationSet.Library, WebApiMigrations], NullLogger.Instance);
        await db.SetLagAsync(TimeSpan.Zero);
        return db;
    }

    /// <summary>Sets <c>recovery_min_apply_delay</c> on one replica at runtime (no restart).</summary>
    public Task SetLagAsync(string replica, TimeSpan delay) => SetLagAsync(Replica(replica), delay);

    /// <summary>Sets <c>recovery_min_apply_delay</c> on the replica behind <paramref name="replica"/>, of any service set.</summary>
    public static async Task SetLagAsync(NpgsqlDataSource replica, TimeSpan delay)
    {
        await using var connection = await replica.OpenConnectionAsync();
        await connection.ExecuteAsync($"ALTER SYSTEM SET recovery_min_apply_delay = '{(int)delay.TotalMilliseconds}ms'");
        await connection.ExecuteAsync("SELECT pg_reload_conf()");

        // The reload is asynchronous: wait until new sessions see the value (the postmaster has reloaded), then give
        // the startup process, which applies WAL, a moment to reload too.
        var expected = $"{(int)delay.TotalMilliseconds}";
        for (var i = 0; i < 200; i++)
        {
            await using var probe = await replica.OpenConnectionAsync();
            if (await probe.ExecuteScalarAsync<string>("SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'") == expected)
            {
                break;
            }

            await Task.Delay(10);
        }

        await Task.Delay(150);
    }

    public async Task SetLagAsync(TimeSpan delay)
    {
        await SetLagAsync("replica-1", delay);
        await SetLagAsync("replica-2", delay);
        if (delay == TimeSpan.Zero)
        {
            await WaitForReplicasToCatchUpAsync();
        }
    }

    /// <summary>Waits until both replicas have replayed everything the primary wrote so far.</summary>
    public async Task WaitForReplicasToCatchUpAsync()
    {
        var target = await CurrentLsnAsync();
        foreach (var replica in new[] { Replica1, Replica2 })
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (await ReplayLsnAsync(replica) < target)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("replica did not catch up in 30 s");
                }

                await Task.Delay(10);
            }
        }
    }

    /// <summary>Everything the primary holds for one user (posts, profile, cart lines), as one comparable text.</summary>
    public async Task<string> UserRowsAsync(long userId)
    {
        await using var connection = await Primary.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<string>(
            """
            SELECT concat_ws(' | ',
                (SELECT count(*) || ' posts ' || md5(coalesce(string_agg(id || ':' || content, ',' ORDER BY id), '')) FROM posts WHERE user_id = @userId),
                (SELECT count(*) || ' profiles ' || md5(coalesce(string_agg(name || ':' || bio || ':' || updated_at, ','), '')) FROM users WHERE id = @userId),
                (SELECT count(*) || ' cart lines ' || coalesce(string_agg(product_id || 'x' || quantity, ',' ORDER BY product_id), '') FROM cart_items WHERE user_id = @userId))
            """, new { userId }) ?? "";
    }

    public async Task<Lsn> CurrentLsnAsync()
    {
        await using var connection = await Primary.OpenConnectionAsync();
        return Lsn.Parse(await connection.ExecuteScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text") ?? "0/0").ToWrittenEnd();
    }

    /// <summary>The primary's position now, with its timeline (as the API reads it after a write).</summary>
    public async Task<WalPosition> CurrentPositionAsync()
    {
        await using var connection = await Primary.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<(string Lsn, string WalFile)>("SELECT l::text, pg_walfile_name(l) FROM pg_current_wal_insert_lsn() AS l");
        return WalPosition.FromServer(row.Lsn, row.WalFile).ToWrittenEnd();
    }

    public static async Task<Lsn> ReplayLsnAsync(NpgsqlDataSource replica)
    {
        await using var connection = await replica.OpenConnectionAsync();
        return Lsn.Parse(await connection.ExecuteScalarAsync<string>("SELECT pg_last_wal_replay_lsn()::text") ?? "0/0");
    }

    public async ValueTask DisposeAsync()
    {
        await SetLagAsync(TimeSpan.Zero);
        await Primary.DisposeAsync();
        await Replica1.DisposeAsync();
        await Replica2.DisposeAsync();
    }
}
