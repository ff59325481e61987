using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Routing;

/// <summary>
/// The fast paths try to make a read stale and fail: a read sent to a replica on a prediction (without waiting for a
/// poll) is still checked on the replica, so a wrong prediction costs a primary read, never a stale one. Each test also
/// reads the same replica without the check, which shows the replica really did not have the write.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class FastPathSafetyTests(SystemFixture fixture, ITestOutputHelper output)
{
    private static long NewUserId() => Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);

    [Fact]
    public async Task OptimisticOwnRead_OnReplicasThatHaveNotReplayed_ReadsThePrimaryInstead()
    {
        // Replicas that replayed the last write at once make the monitor expect the next one at once too, so an own read
        // right after a write goes to a replica without waiting for a poll. Then the lag is made 2 s, unseen by the
        // monitor until the next write has waited on a replica for a while.
        using var client = await fixture.Default.CreateClient().SignInAsync(NewUserId());
        var reasons = new List<string>();
        var (stale, naiveStale) = (0, 0);
        try
        {
            for (var i = 0; i < 4; i++)
            {
                await fixture.Db.SetLagAsync(TimeSpan.Zero);
                await WriteElsewhereAsync();
                await Task.Delay(200); // a few polls: the monitor sees that write replayed at once
                await fixture.Db.SetLagAsync(TimeSpan.FromSeconds(2));

                var (post, _) = await client.CreatePostAsync($"optimistic {i}");
                var read = await client.GetPostsAsync();
                stale += read.Body.Any(p => p.Id == post.Id) ? 0 : 1;
                naiveStale += await OnBothReplicasAsync(post.Id) ? 0 : 1;
                reasons.Add($"{read.Source}/{read.Reason}");
            }
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }

        output.WriteLine($"reads: {string.Join(", ", reasons)}; stale {stale}; the same reads without the check: {naiveStale} stale");
        Assert.Equal(0, stale);
        Assert.Equal(4, naiveStale);
        Assert.Contains($"primary/{RoutingReasons.GuardFallback}", reasons);
    }

    [Fact]
    public async Task LagJumpingFromZeroToTwoSeconds_BetweenPredictionAndRead_CostsPrimaryReads_NotStaleOnes()
    {
        const int pairs = 600;
        await fixture.Db.SetLagAsync(TimeSpan.Zero);
        var naiveStale = 0;
        var jumped = false;
        try
        {
            var result = await OwnReadWorkload.RunAsync(fixture.Default, pairs, 20, async (client, i) =>
            {
                var (post, _) = await client.CreatePostAsync($"jump {i} {Guid.NewGuid():N}");
                var read = await client.GetPostsAsync();
                if (Volatile.Read(ref jumped) && !await OnBothReplicasAsync(post.Id))
                {
                    Interlocked.Increment(ref naiveStale);
                }

                return (read.Body.Any(p => p.Id == post.Id), read.Source, read.Reason);
            }, async done =>
            {
                if (done == pairs / 3 && !jumped)
                {
                    await fixture.Db.SetLagAsync(TimeSpan.FromSeconds(2));
                    Volatile.Write(ref jumped, true);
                }
            });
            output.WriteLine($"lag 0 jumping to 2 s: {result}; after the jump, {naiveStale} reads without the check were stale");
            Assert.Equal(0, result.Stale);
            Assert.True(naiveStale > 0, "no read without the check was stale: the jump did not happen");
            Assert.True(result.Reasons.GetValueOrDefault(RoutingReasons.GuardFallback) > 0,
                "no read was caught by the check: none was sent to a replica between the jump and the monitor seeing it");
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task AReplicaBehindItsLastReportedPosition_AsAfterARestart_IsCaughtByTheCheck()
    {
        // replica-1 lags 2 s, but the API holds a proof that replica-1 served a read far past the write —
        // what a replica that restarted (replaying again from an older restart point) leaves behind. Every read the
        // report attracts to replica-1 must be checked there and go to the primary.
        var userId = NewUserId();
        using var client = await fixture.Default.CreateClient().SignInAsync(userId);
        await fixture.Db.SetLagAsync("replica-1", TimeSpan.FromSeconds(2));
        await fixture.Db.SetLagAsync("replica-2", TimeSpan.FromSeconds(2));
        var reasons = new List<string>();
        var (stale, naiveStale) = (0, 0);
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var (post, _) = await client.CreatePostAsync($"restarted {i}");
                var now = await fixture.Db.CurrentPositionAsync();
                var reported = now with { Lsn = new Lsn(now.Lsn.Value + 1_000_000) };
                fixture.Default.Api.Services.GetRequiredService<ReplayProofs>().Note("replica-1", reported);

                var read = await client.GetPostsAsync();
                stale += read.Body.Any(p => p.Id == post.Id) ? 0 : 1;
                naiveStale += await OnReplicaAsync(fixture.Db.Replica1, post.Id) ? 0 : 1;
                reasons.Add($"{read.Source}/{read.Reason}");
            }
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }

        output.WriteLine($"reads: {string.Join(", ", reasons)}; stale {stale}; replica-1 without the check: {naiveStale} stale");
        Assert.Equal(0, stale);
        Assert.Equal(5, naiveStale);
        Assert.All(reasons, r => Assert.StartsWith("primary/", r));
        Assert.Contains($"primary/{RoutingReasons.GuardFallback}", reasons);
    }

    private async Task WriteElsewhereAsync()
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO posts (user_id, content) VALUES (0, 'fast path test')");
    }

    // The naive route: read the post on a replica, no position check. True only when both replicas have it.
    private async Task<bool> OnBothReplicasAsync(long postId) =>
        await OnReplicaAsync(fixture.Db.Replica1, postId) && await OnReplicaAsync(fixture.Db.Replica2, postId);

    private static async Task<bool> OnReplicaAsync(NpgsqlDataSource replica, long postId)
    {
        await using var connection = await replica.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM posts WHERE id = @postId)", new { postId });
    }
}
