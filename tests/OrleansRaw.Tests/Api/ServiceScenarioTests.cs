using System.Net;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// The three services (posts, profiles, carts) through HTTP: own reads right after a write are never stale under real replica lag,
/// own reads use replicas once they have caught up, other users' data comes from replicas, critical reads from the primary.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ServiceScenarioTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const int Pairs = 500;
    private const int Users = 25;
    private static readonly TimeSpan Lag = TimeSpan.FromMilliseconds(300);

    [Fact]
    public Task UpdateProfile_ThenGetOwnProfile_IsNeverStale_At300MsLag() =>
        AssertNeverStaleAsync("update profile → get own profile", OwnReadWorkload.UpdateThenGetOwnProfile);

    [Fact]
    public Task AddToCart_ThenViewCart_IsNeverStale_At300MsLag() =>
        AssertNeverStaleAsync("add to cart → view cart", OwnReadWorkload.AddToCartThenViewCart);

    [Theory]
    [InlineData("profile")]
    [InlineData("cart")]
    public async Task OwnReads_WithoutLag_AreMostlyServedByReplicas_AndNeverStale(string service)
    {
        await fixture.Db.SetLagAsync(TimeSpan.Zero);
        var scenario = service == "profile" ? OwnReadWorkload.UpdateThenGetOwnProfile : OwnReadWorkload.AddToCartThenViewCart;
        var result = await OwnReadWorkload.RunAsync(fixture.Default, 250, Users, scenario);
        output.WriteLine($"{service}, no lag: {result}");
        Assert.Equal(0, result.Stale);
        Assert.True(result.PrimaryShare < 0.5, "with no lag most own reads should be served by replicas");
    }

    [Fact]
    public async Task OwnReads_ComeFromReplicas_OnceTheyHaveReplayedTheWrite()
    {
        await fixture.Db.SetLagAsync(TimeSpan.Zero);
        using var client = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var (post, _) = await client.CreatePostAsync("caught up " + Guid.NewGuid());
        var profile = (await client.PutProfileAsync("Caught Up", "bio " + Guid.NewGuid())).Body;
        await client.AddToCartAsync(7, 2);
        await WaitForReplicasAsync();

        var posts = await client.GetPostsAsync();
        var ownProfile = await client.GetProfileAsync(profile.Id);
        var cart = await client.GetCartAsync();
        var onePost = await client.GetPostAsync(post.Id);

        foreach (var read in new[] { (posts.Source, posts.Reason), (ownProfile.Source, ownProfile.Reason), (cart.Source, cart.Reason), (onePost.Source, onePost.Reason) })
        {
            Assert.StartsWith("replica:", read.Source);
            Assert.Equal(RoutingReasons.OwnWriteReplicaCaughtUp, read.Reason);
        }

        Assert.Contains(posts.Body, p => p.Id == post.Id);
        Assert.Equal(profile.Bio, ownProfile.Body.Bio);
        Assert.Contains(cart.Body.Items, item => item.ProductId == 7 && item.Quantity == 2);
        Assert.Equal(post.Content, onePost.Body.Content);
    }

    [Fact]
    public async Task ForeignReads_ComeFromReplicas_AsEventual_SignedInOrAnonymous()
    {
        await fixture.Db.SetLagAsync(TimeSpan.Zero);
        using var author = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        using var reader = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        using var anonymous = fixture.Default.CreateClient();
        var (post, _) = await author.CreatePostAsync("foreign " + Guid.NewGuid());
        var profile = (await author.PutProfileAsync("Author", "")).Body;
        await WaitForReplicasAsync();

        foreach (var client in new[] { reader, anonymous })
        {
            var posts = await client.GetUserPostsAsync(profile.Id);
            Assert.Contains(posts.Body, p => p.Id == post.Id);
            AssertEventualFromReplica(posts);

            var authorProfile = await client.GetProfileAsync(profile.Id);
            Assert.Equal("Author", authorProfile.Body.Name);
            AssertEventualFromReplica(authorProfile);

            var feed = await client.GetFeedAsync();
            Assert.Contains(feed.Body, p => p.Id == post.Id);
            AssertEventualFromReplica(feed);
        }

        // One post by id is the caller's own read when signed in; anonymous it is eventual.
        var anonymousPost = await anonymous.GetPostAsync(post.Id);
        Assert.Equal(post.Content, anonymousPost.Body.Content);
        AssertEventualFromReplica(anonymousPost);
    }

    [Theory]
    [InlineData("query")]
    [InlineData("header")]
    public async Task CriticalReads_GoToThePrimary_ForSignedInUsers_AndAreRefusedToAnonymousCallers(string how)
    {
        await fixture.Db.SetLagAsync(TimeSpan.Zero);
        using var author = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        using var anonymous = fixture.Default.CreateClient();
        var (post, _) = await author.CreatePostAsync("critical " + Guid.NewGuid());
        await WaitForReplicasAsync();

        var strong = how == "query" ? StrongRead.Query : StrongRead.Header;
        var reads = new (ApiClient Client, Func<Task<(HttpStatusCode Status, string Source, string Reason)>> Read)[]
        {
            (author, async () => Answered(await author.GetPostAsync(post.Id, strong: strong))),
            (author, async () => Answered(await author.GetPostsAsync(strong: strong))),
            (anonymous, async () => Answered(await anonymous.GetPostAsync(post.Id, strong: strong))),
            (anonymous, async () => Answered(await anonymous.GetUserPostsAsync(post.UserId, strong: strong))),
            (anonymous, async () => Answered(await anonymous.GetFeedAsync(strong: strong))),
        };
        foreach (var (client, read) in reads)
        {
            if (client == anonymous)
            {
                // A strong read costs the primary: only an accountable, rate-limitable caller may ask for one.
                await ProblemResponse.ThrowsAsync(read, HttpStatusCode.Unauthorized);
                continue;
            }

            var (status, source, reason) = await read();
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("primary", source);
            Assert.Equal(RoutingReasons.Critical, reason);
        }
    }

    [Fact]
    public async Task StrongReads_AreRateLimitedPerUser_WithRetryAfter_AndOneUserDoesNotUseUpAnothersShare()
    {
        var limited = await fixture.DeploymentAsync("strong-read-limit", new Dictionary<string, string?>
        {
            ["Consistency:StrongReadsPerSecond"] = "5",
            ["Consistency:StrongReadBurst"] = "10",
        });
        using var greedy = await limited.CreateClient().SignInAsync(TestUsers.NewId());
        using var other = await limited.CreateClient().SignInAsync(TestUsers.NewId());
        var statuses = new List<HttpStatusCode>();
        string? retryAfter = null;
        for (var i = 0; i < 30; i++)
        {
            var answer = await ApiClient.AnswerAsync(greedy.GetPostsAsync(strong: StrongRead.Query));
            statuses.Add(answer.Status);
            if (answer.Status == HttpStatusCode.TooManyRequests)
            {
                retryAfter ??= answer.RetryAfter;
                ProblemResponse.AssertThrown(answer.Problem!, HttpStatusCode.TooManyRequests);
            }
        }

        // The burst of 10 passes; of the rest, at most the few tokens refilled meanwhile.
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.OK), 10, 15);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.False(string.IsNullOrEmpty(retryAfter), "a 429 without Retry-After");

        Assert.Equal(HttpStatusCode.OK, (await ApiClient.AnswerAsync(other.GetPostsAsync(strong: StrongRead.Query))).Status);
        // An ordinary read of the same user is not limited.
        Assert.Equal(HttpStatusCode.OK, (await ApiClient.AnswerAsync(greedy.GetPostsAsync())).Status);
    }

    [Fact]
    public async Task GetPost_OfAMissingId_Is404ProblemDetails()
    {
        using var client = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        using var anonymous = fixture.Default.CreateClient();
        foreach (var caller in new[] { client, anonymous })
        {
            await ProblemResponse.ThrowsAsync(() => caller.GetPostAsync(long.MaxValue), HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task Feed_WorksAnonymously_NewestFirst()
    {
        using var author = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        using var anonymous = fixture.Default.CreateClient();
        var (older, _) = await author.CreatePostAsync("feed 1 " + Guid.NewGuid());
        var (newer, _) = await author.CreatePostAsync("feed 2 " + Guid.NewGuid());
        await WaitForReplicasAsync();

        var feed = await anonymous.GetFeedAsync();
        Assert.InRange(feed.Body.Count, 2, 100);
        var newerAt = feed.Body.FindIndex(p => p.Id == newer.Id);
        var olderAt = feed.Body.FindIndex(p => p.Id == older.Id);
        Assert.True(newerAt >= 0 && olderAt > newerAt, $"the newer post comes first (newer at {newerAt}, older at {olderAt})");
    }

    private async Task AssertNeverStaleAsync(string scenario, OwnReadWorkload.Scenario run)
    {
        await fixture.Db.SetLagAsync(Lag);
        try
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            var result = await OwnReadWorkload.RunAsync(fixture.Default, Pairs, Users, run);
            output.WriteLine($"{scenario}, {Lag.TotalMilliseconds} ms lag: {result} in {started.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(Pairs, result.Pairs);
            Assert.Equal(0, result.Stale);
            // The lag was real: right after a write some own reads could not be served by a replica.
            Assert.True(result.OwnReadsFromPrimary > 0, "no own read needed the primary: the replicas were not lagging");
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    private static (HttpStatusCode Status, string Source, string Reason) Answered<T>(Read<T> read) => (read.Status, read.Source, read.Reason);

    private static void AssertEventualFromReplica<T>(Read<T> read)
    {
        Assert.StartsWith("replica:", read.Source);
        Assert.Equal(RoutingReasons.Eventual, read.Reason);
    }

    private async Task WaitForReplicasAsync()
    {
        await fixture.Db.WaitForReplicasToCatchUpAsync();
        await fixture.Default.WaitForMonitorToSeeReplayAsync(await fixture.Db.CurrentLsnAsync());
    }
}
