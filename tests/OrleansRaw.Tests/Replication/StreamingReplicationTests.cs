using System.Collections.Concurrent;
using Dapper;
using Npgsql;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Replication;

/// <summary>The facts about PostgreSQL streaming replication that the whole system rests on, checked on the real thing.</summary>
[Collection(SystemCollection.Name)]
public sealed class StreamingReplicationTests(SystemFixture fixture, ITestOutputHelper output)
{
    private ReplicatedPostgres Db => fixture.Db;

    [Fact]
    public async Task Replica_UnderApplyDelay_ServesStaleRows()
    {
        await EnsureProbeTableAsync();
        await Db.SetLagAsync("replica-1", TimeSpan.FromMilliseconds(300));
        try
        {
            var id = await InsertProbeAsync();
            Assert.False(await ExistsAsync(Db.Replica1, id), "the row was visible on the lagging replica right after the commit");

            var deadline = DateTime.UtcNow.AddSeconds(2);
            while (!await ExistsAsync(Db.Replica1, id))
            {
                Assert.True(DateTime.UtcNow < deadline, "the row did not reach the lagging replica within 2 s");
                await Task.Delay(10);
            }
        }
        finally
        {
            await Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    [InlineData(300)]
    public async Task ReplayLsn_ReachingCommitLsn_MakesRowVisible(int delayMs)
    {
        var misses = await RowsMissingOnceReplayedAsync(delayMs, async () =>
        {
            var id = await InsertProbeAsync();
            return (id, await Db.CurrentLsnAsync()); // a statement of its own, after COMMIT
        });
        output.WriteLine($"delay {delayMs} ms: 200 writes, {misses} rows missing once replay LSN >= commit LSN");
        Assert.Equal(0, misses);
    }

    [Theory]
    [InlineData(50)]
    [InlineData(300)]
    public async Task PositionReadAfterCommit_InTheWritesOwnRoundTrip_CoversTheWrite(int delayMs)
    {
        // The write path's batch: BEGIN; the write; COMMIT; the position — one round trip, the position after the commit.
        var misses = await RowsMissingOnceReplayedAsync(delayMs, async () =>
        {
            await using var connection = await Db.Primary.OpenConnectionAsync();
            await using var results = await connection.QueryMultipleAsync(
                "BEGIN;\nINSERT INTO replication_probe DEFAULT VALUES RETURNING id;\nCOMMIT;\nSELECT pg_current_wal_insert_lsn()::text");
            var id = await results.ReadSingleAsync<long>();
            return (id, Lsn.Parse(await results.ReadSingleAsync<string>()).ToWrittenEnd());
        });
        output.WriteLine($"delay {delayMs} ms: 200 batched writes, {misses} rows missing once replay LSN >= the batch's position");
        Assert.Equal(0, misses);
    }

    // 200 writes, 20 at once (short under 300 ms of delay); each waits until replica-1 replayed the position the write
    // reported, then looks for its row there. Returns how many rows were missing.
    private async Task<int> RowsMissingOnceReplayedAsync(int delayMs, Func<Task<(long Id, Lsn Lsn)>> write)
    {
        await EnsureProbeTableAsync();
        await Db.SetLagAsync("replica-1", TimeSpan.FromMilliseconds(delayMs));
        var misses = new ConcurrentBag<long>();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 20 }, async (_, _) =>
            {
                var (id, lsn) = await write();
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (await ReplicatedPostgres.ReplayLsnAsync(Db.Replica1) < lsn)
                {
                    Assert.True(DateTime.UtcNow < deadline, $"replica never replayed {lsn}");
                    await Task.Delay(5);
                }

                if (!await ExistsAsync(Db.Replica1, id))
                {
                    misses.Add(id);
                }
            });
        }
        finally
        {
            await Db.SetLagAsync(TimeSpan.Zero);
        }

        return misses.Count;
    }

    [Fact]
    public async Task WaitingCheck_OnTheReplica_ReturnsOnceReplayed_AndTheNextStatementSeesTheRow()
    {
        const int writes = 30;
        await EnsureProbeTableAsync();
        await Db.SetLagAsync("replica-1", TimeSpan.FromMilliseconds(300));
        var (seen, timedOut, waits) = (0, 0, new ConcurrentBag<double>());
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, writes), new ParallelOptions { MaxDegreeOfParallelism = 10 }, async (i, _) =>
            {
                var id = await InsertProbeAsync();
                var lsn = (await Db.CurrentLsnAsync()).ToWrittenEnd();
                // Half wait long enough, half too briefly: the short ones must say so rather than read without the row.
                var waitMs = i % 2 == 0 ? 2000 : 20;
                await using var connection = await Db.Replica1.OpenConnectionAsync();
                var started = DateTime.UtcNow;
                await using var results = await connection.QueryMultipleAsync(
                    "SELECT orleansraw_wait_replay(@lsn::pg_lsn, @waitMs);\nSELECT EXISTS (SELECT 1 FROM replication_probe WHERE id = @id)",
                    new { lsn = lsn.ToString(), waitMs, id });
                var replayed = await results.ReadSingleAsync<bool>();
                var exists = await results.ReadSingleAsync<bool>();
                if (replayed)
                {
                    Assert.True(exists, $"row {id} missing after the check said {lsn} was replayed");
                    Interlocked.Increment(ref seen);
                    waits.Add((DateTime.UtcNow - started).TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref timedOut);
                }
            });
        }
        finally
        {
            await Db.SetLagAsync(TimeSpan.Zero);
        }

        output.WriteLine($"300 ms delay: {seen} checks saw their write replayed (waited {waits.Min():F0}–{waits.Max():F0} ms), {timedOut} timed out after 20 ms");
        Assert.Equal(writes / 2, seen);
        Assert.Equal(writes / 2, timedOut);
        Assert.True(waits.Min() > 100, "a check returned long before the replica could have replayed the write");
    }

    [Fact]
    public async Task ComposeFile_Parses()
    {
        var compose = Path.Combine(RepoPaths.Root, "docker-compose.yml");
        var tool = new[] { "/usr/bin/docker-compose", "/usr/local/bin/docker-compose" }.FirstOrDefault(File.Exists);
        Assert.True(tool is not null, "docker-compose is not installed (./test installs Debian's docker-compose package)");
        var start = new System.Diagnostics.ProcessStartInfo(tool!, ["-f", compose, "config", "-q"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, "docker-compose config failed: " + errors);
    }

    private async Task EnsureProbeTableAsync()
    {
        await using var connection = await Db.Primary.OpenConnectionAsync();
        await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS replication_probe (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
        await Db.WaitForReplicasToCatchUpAsync();
    }

    private async Task<long> InsertProbeAsync()
    {
        await using var connection = await Db.Primary.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("INSERT INTO replication_probe DEFAULT VALUES RETURNING id");
    }

    private static async Task<bool> ExistsAsync(NpgsqlDataSource source, long id)
    {
        await using var connection = await source.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM replication_probe WHERE id = @id)", new { id });
    }
}
