using System.Diagnostics;
using Dapper;
using Npgsql;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Grains;

/// <summary>
/// A user's grain keeps their state in memory only and leaves memory after <c>Consistency:IdleDeactivation</c> without
/// a call. A user whose grain was dropped still reads their old write back, never stale: the next activation starts
/// from the primary's position, whatever the replicas hold — a replica lagging far behind the write, or one that was
/// down while the user wrote and comes back behind it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class IdleDeactivationTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const string IdleSetting = "00:00:02";
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(2);

    // A user's last call can come up to a lease (1 s) and a sweep (1 s) after their request, when the API server reports
    // its expired copy; the grain then goes one to one and a half idle times later.
    private static readonly TimeSpan DroppedWithin = TimeSpan.FromSeconds(1 + 1) + Idle * 1.5 + TimeSpan.FromSeconds(3);

    [Fact]
    public async Task AnIdleUsersGrain_LeavesMemory_AfterIdleDeactivation_AndNotBefore()
    {
        var system = await fixture.DeploymentAsync("idle-2s", new Dictionary<string, string?> { ["Consistency:IdleDeactivation"] = IdleSetting });
        var userId = TestUsers.NewId();
        using var client = await system.CreateClient().SignInAsync(userId);
        await client.CreatePostAsync("before going idle");
        var wrote = Stopwatch.StartNew();

        await Task.Delay(Idle / 2);
        Assert.True(await IsActiveAsync(system, userId), $"the grain was gone {wrote.Elapsed.TotalSeconds:F1} s after the user's write, sooner than the idle time");

        await WaitUntilDroppedAsync(system, userId, DroppedWithin);
        output.WriteLine($"idle deactivation {Idle.TotalSeconds:F0} s: the grain left memory {wrote.Elapsed.TotalSeconds:F1} s after the user's write");
    }

    [Fact]
    public async Task OwnReads_AfterTheGrainWasDropped_AreNeverStale_ThroughAReplicaThatWasDownAndComesBackBehindTheWrite()
    {
        // Services of its own: this test stops a replica.
        var services = new ServiceSet(27842, 27843, 27844, 27889, Path.Combine(RepoPaths.Root, ".data", "idle-27842"));
        await services.RunAsync("reset");
        await services.RunAsync("up");
        try
        {
            await using var system = await Deployment.StartAsync(silos: 1,
                new Dictionary<string, string?> { ["Consistency:IdleDeactivation"] = IdleSetting }, services);
            await using var replica1 = NpgsqlDataSource.Create(services.Replica1);
            var userId = TestUsers.NewId();
            using var client = await system.CreateClient().SignInAsync(userId);
            using var anonymous = system.CreateClient();

            // A replica stopped as a crash would stop it replays again from its last restartpoint, under the replay delay
            // it has then: one made now keeps the schema on replica-1 through the crash below.
            await using (var connection = await replica1.OpenConnectionAsync())
            {
                while (!await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('public.posts') IS NOT NULL"))
                {
                    await Task.Delay(50);
                }

                await connection.ExecuteAsync("CHECKPOINT", commandType: System.Data.CommandType.Text);
            }

            // replica-2 lags far behind every write; replica-1 goes down before the user writes, and will come back
            // with the same replay delay, so for seconds after it is healthy again it still lacks the write.
            await services.RunAsync("lag", "replica-1", "12000");
            await services.RunAsync("lag", "replica-2", "12000");
            await services.RunAsync("stop", "replica-1");
            var (post, _) = await client.CreatePostAsync("written while replica-1 was down");
            var wrote = Stopwatch.StartNew();

            await WaitUntilDroppedAsync(system, userId, DroppedWithin);
            var dropped = wrote.Elapsed;
            await services.RunAsync("start", "replica-1");
            replica1.Clear(); // the pooled connections died with the server
            await WaitForHealthyAsync(system, "replica-1");
            output.WriteLine($"grain dropped {dropped.TotalSeconds:F1} s after the write; replica-1 back and healthy {wrote.Elapsed.TotalSeconds:F1} s after it");

            // Until both replicas have replayed the post: the user's own reads, an anonymous read of the user's posts
            // (routed to any healthy replica unchecked), and a read on replica-1 itself, unrouted.
            int ownReads = 0, ownStale = 0, anonymousReads = 0, anonymousStale = 0, replica1Reads = 0, replica1Stale = 0;
            var sources = new Dictionary<string, int>();
            while (!await HasPostAsync(replica1, post.Id) || !await AnonymousSeesAsync(anonymous, userId, post.Id))
            {
                Assert.True(wrote.Elapsed < TimeSpan.FromSeconds(40), "the replicas never replayed the post");
                replica1Reads++;
                replica1Stale += await HasPostAsync(replica1, post.Id) ? 0 : 1;
                anonymousReads++;
                anonymousStale += await AnonymousSeesAsync(anonymous, userId, post.Id) ? 0 : 1;
                var own = await client.GetPostsAsync();
                ownReads++;
                ownStale += own.Body.Any(p => p.Id == post.Id) ? 0 : 1;
                sources[$"{own.Source} ({own.Reason})"] = sources.GetValueOrDefault($"{own.Source} ({own.Reason})") + 1;
                await Task.Delay(100);
            }

            output.WriteLine($"while the replicas lacked the post: own reads {ownStale}/{ownReads} stale; anonymous reads {anonymousStale}/{anonymousReads} stale; "
                + $"reads on replica-1 {replica1Stale}/{replica1Reads} without it; own reads from {string.Join(", ", sources.Select(s => $"{s.Key}×{s.Value}"))}");
            Assert.Equal(0, ownStale);
            Assert.True(replica1Stale > 0, "the lag was not real: replica-1 had the post as soon as it was back");
            Assert.True(anonymousStale > 0, "the lag was not real: every anonymous read saw the post");

            // Once the replicas have it and everything after it, the old write is read from them again.
            await services.RunAsync("lag", "replica-1", "0");
            await services.RunAsync("lag", "replica-2", "0");
            var fromReplica = false;
            var caughtUp = Stopwatch.StartNew();
            while (!fromReplica && caughtUp.Elapsed < TimeSpan.FromSeconds(10))
            {
                var own = await client.GetPostsAsync();
                Assert.Contains(own.Body, p => p.Id == post.Id);
                fromReplica = own.Source.StartsWith("replica:", StringComparison.Ordinal);
                await Task.Delay(100);
            }

            Assert.True(fromReplica, "the user's own reads never went back to the replicas after they caught up");

            // The reads were decided by a new activation: the one that recorded the write had gone.
            var view = await system.Grains.GetGrain<IUserConsistencyGrain>(TestUsers.Key(userId)).GetViewAsync();
            Assert.Equal(0, view.Writes);
        }
        finally
        {
            await services.RunAsync("reset");
        }
    }

    private static async Task<bool> IsActiveAsync(Deployment system, long userId)
    {
        var id = system.Grains.GetGrain<IUserConsistencyGrain>(TestUsers.Key(userId)).GetGrainId();
        var active = await system.Grains.GetGrain<IManagementGrain>(0).GetActiveGrains(id.Type);
        return active.Contains(id);
    }

    private static async Task WaitUntilDroppedAsync(Deployment system, long userId, TimeSpan within)
    {
        var waited = Stopwatch.StartNew();
        while (await IsActiveAsync(system, userId))
        {
            Assert.True(waited.Elapsed < within, $"the user's grain was still in memory after {waited.Elapsed.TotalSeconds:F1} s without a request");
            await Task.Delay(100);
        }
    }

    private static async Task WaitForHealthyAsync(Deployment system, string replica)
    {
        var monitor = system.Grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster);
        var waited = Stopwatch.StartNew();
        while (!(await monitor.GetSnapshotAsync()).Replicas.Any(r => r.Name == replica && r.Healthy))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), $"{replica} never became healthy again");
            await Task.Delay(50);
        }
    }

    private static async Task<bool> HasPostAsync(NpgsqlDataSource replica, long postId)
    {
        await using var connection = await replica.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM posts WHERE id = @postId)", new { postId });
    }

    private static async Task<bool> AnonymousSeesAsync(ApiClient anonymous, long userId, long postId) =>
        (await anonymous.GetUserPostsAsync(userId)).Body.Any(p => p.Id == postId);
}
