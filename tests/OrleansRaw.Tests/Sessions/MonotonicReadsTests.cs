using Dapper;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Sessions;

/// <summary>
/// Monotonic reads per user: with one replica current and one a second behind, a user refreshing another user's
/// posts never sees a post appear and then vanish. Without the feature the same refreshes go back in time.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class MonotonicReadsTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const int Reads = 1000;

    [Fact]
    public async Task ReadsOfOthersData_NeverGoBackInTime_WithMonotonicReads()
    {
        var result = await RefreshWhileAnotherUserPostsAsync(fixture.Default);
        output.WriteLine($"monotonic reads on: {result}");
        Assert.Equal(0, result.WentBack);
        Assert.True(result.ReplicaReads > Reads / 2, "most reads should still be served by a replica");
    }

    [Fact]
    public async Task ReadsOfOthersData_GoBackInTime_WithMonotonicReadsOff()
    {
        var off = await fixture.DeploymentAsync("monotonic-off", new Dictionary<string, string?> { ["Consistency:MonotonicReads"] = "false" });
        var result = await RefreshWhileAnotherUserPostsAsync(off);
        output.WriteLine($"monotonic reads off: {result}");
        Assert.True(result.WentBack > 0, "no read went back in time: the lag difference between the replicas was not real");
    }

    [Fact]
    public async Task ReadsOfOthersData_AlternatingBetweenTwoApiServers_NeverGoBackInTime()
    {
        // Each server routes the reader from its own leased copy of their state; what one served must reach the other
        // through the grain before the reader's next request does.
        await using var second = new Deployment.ApiFactory(fixture.Default.Cluster.Client, fixture.Default.Settings);
        var result = await RefreshWhileAnotherUserPostsAsync(fixture.Default, second);
        output.WriteLine($"monotonic reads on, alternating two API servers: {result}");
        Assert.Equal(0, result.WentBack);
        Assert.True(result.ReplicaReads > Reads / 2, "most reads should still be served by a replica");
    }

    [Fact]
    public async Task AReadOnOneApiServer_IsAFloorForTheNextReadOnAnother()
    {
        // Replicas 300 ms behind a steady writer. A strong read on server A shows the author's newest post; the next
        // read, on server B, must not show an older list. B learns what A served only through the user's grain: its
        // own last read is older than the lag, so by itself B would read a replica.
        await using var second = new Deployment.ApiFactory(fixture.Default.Cluster.Client, fixture.Default.Settings);
        var result = await StrongThenNormalAcrossServersAsync(second);
        output.WriteLine($"strong read on A, then a read on B: {result}");
        Assert.Equal(0, result.WentBack);
    }

    private sealed record Result(int Reads, int WentBack, int ReplicaReads, int PrimaryReads)
    {
        public override string ToString() =>
            $"{Reads} reads, {WentBack} went back in time; {ReplicaReads} from replicas, {PrimaryReads} from the primary";
    }

    private async Task<Result> StrongThenNormalAcrossServersAsync(Deployment.ApiFactory secondApi)
    {
        const int Pairs = 15;
        var author = TestUsers.NewId();
        await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(300));
        using var stop = new CancellationTokenSource();
        var writer = WriteSteadilyAsync(author, stop.Token);
        try
        {
            await Task.Delay(500);
            using var a = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
            using var b = ApiClient.For(secondApi);
            b.SignInAs(a);
            int wentBack = 0, replica = 0, primary = 0;
            for (var i = 0; i < Pairs; i++)
            {
                var strong = await a.GetUserPostsAsync(author, strong: StrongRead.Query);
                var next = await b.GetUserPostsAsync(author);
                wentBack += Top(next.Body) < Top(strong.Body) ? 1 : 0;
                (next.FromPrimary ? ref primary : ref replica)++;
                await Task.Delay(400);
            }

            return new Result(Pairs, wentBack, replica, primary);
        }
        finally
        {
            stop.Cancel();
            await writer;
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    private static long Top(List<ApiClient.Post> posts) => posts.Count == 0 ? 0 : posts.Max(p => p.Id);

    // One writer, one post at a time: a post's id order is its commit order.
    private async Task WriteSteadilyAsync(long author, CancellationToken stop)
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        while (!stop.IsCancellationRequested)
        {
            await connection.ExecuteAsync("INSERT INTO posts (user_id, content) VALUES (@author, 'tick')", new { author });
            await Task.Delay(10);
        }
    }

    private async Task<Result> RefreshWhileAnotherUserPostsAsync(Deployment deployment, Deployment.ApiFactory? secondApi = null)
    {
        var author = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
        var reader = author + 1;
        await fixture.Db.SetLagAsync("replica-1", TimeSpan.Zero);
        await fixture.Db.SetLagAsync("replica-2", TimeSpan.FromSeconds(1));
        using var stop = new CancellationTokenSource();
        var writer = WriteSteadilyAsync(author, stop.Token);

        try
        {
            await Task.Delay(1200); // both replicas now hold some of the author's posts, replica-2 a second fewer
            using var client = await deployment.CreateClient().SignInAsync(reader);
            using var other = secondApi is null ? null : ApiClient.For(secondApi);
            other?.SignInAs(client);
            long newest = 0;
            int wentBack = 0, replica = 0, primary = 0;
            for (var i = 0; i < Reads; i++)
            {
                var read = await (i % 2 == 1 && other is not null ? other : client).GetUserPostsAsync(author);
                var top = read.Body.Count == 0 ? 0 : read.Body.Max(p => p.Id);
                wentBack += top < newest ? 1 : 0;
                newest = Math.Max(newest, top);
                (read.FromPrimary ? ref primary : ref replica)++;
            }

            return new Result(Reads, wentBack, replica, primary);
        }
        finally
        {
            stop.Cancel();
            await writer;
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }
}
