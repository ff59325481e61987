using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Routing;

/// <summary>
/// An API server that holds a user exclusively records their writes in its copy, with no grain call. Replicas 300 ms
/// behind: the user's next read on another server must still show every one of those writes.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class WritesInALeasedCopyTests(SystemFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task WritesRecordedInOneServersCopy_AreInTheUsersNextReadOnAnotherServer()
    {
        const int Rounds = 8;
        const int WritesPerRound = 3;
        await using var second = new Deployment.ApiFactory(fixture.Default.Cluster.Client, fixture.Default.Settings);
        var userId = TestUsers.NewId();
        using var a = await fixture.Default.CreateClient().SignInAsync(userId);
        using var b = ApiClient.For(second);
        b.SignInAs(a);
        await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(300));
        try
        {
            var missing = 0;
            for (var round = 0; round < Rounds; round++)
            {
                // B's lease from the last round has run out: A holds the user alone again once it renews.
                await Task.Delay(1200);
                await a.GetPostsAsync();
                var posts = new List<long>();
                for (var i = 0; i < WritesPerRound; i++)
                {
                    posts.Add((await a.CreatePostAsync($"round {round} post {i}")).Body.Id);
                }

                var read = await b.GetPostsAsync();
                missing += posts.Count(id => read.Body.All(p => p.Id != id));
            }

            var view = await fixture.Default.Grains.GetGrain<IUserConsistencyGrain>(TestUsers.Key(userId)).GetViewAsync();
            output.WriteLine($"{Rounds * WritesPerRound} writes on A, {view.Writes} of them sent to the grain; {missing} missing from the next read on B");
            Assert.Equal(0, missing);
            Assert.True(view.Writes < Rounds * WritesPerRound / 2, $"{view.Writes} writes went to the grain: few were recorded in A's copy, so the test proves little");
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }
}
