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
        var profile = await client.PutProfileAsync("Caught Up", "bio " + Guid.NewGuid());
        await client.AddToCartAsync(7, 2);
        await WaitForReplicasAsync();

        var posts = await client.GetAsync<List<ApiClient.Post>>("/api/posts");
        var ownProfile = await client.GetAsync<ApiClient.Profile>($"/api/profile/{profile.Id}");
        var cart = await client.GetAsync<ApiClient.Cart>("/api/cart");
        var onePost = await client.GetAsync<ApiClient.Post>($"/api/posts/{post.Id}");

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
        var profile = await author.PutProfileAsync("Author", "");
        await WaitForReplicasAsync();

        foreach (var client in new[] { reader, anonymous })
        {
            var posts = await client.GetAsync<List<ApiClient.Post>>($"/api/users/{profile.Id}/posts");
            Assert.Contains(posts.Body, p => p.Id == post.Id);
            AssertEventualFromReplica(posts);

            var authorProfile = await client.GetAsync<ApiClient.Profile>($"/api/profile/{profile.Id}");
            Assert.Equal("Author", authorProfile.Body.Name);
            AssertEventualFromReplica(authorProfile);

            var feed = await client.GetAsync<List<ApiClient.Post>>("/api/feed");
            Assert.Contains(feed.Body, p => p.Id == post.Id);
            AssertEventualFromReplica(feed);
        }

        // One post by id is the caller's own read when signed in; anonymous it is eventual.
        var anonymousPost = await anonymous.GetAsync<ApiClient.Post>($"/api/posts/{post.Id}");
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

        foreach (var (client, path) in new[] { (author, $"/api/posts/{post.Id}"), (author, "/api/posts"), (anonymous, $"/api/posts/{post.Id}"), (anonymous, $"/api/users/{post.UserId}/posts"), (anonymous, "/api/feed") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, how == "query" ? path + "?consistency=strong" : path);
            if (how == "header")
            {
                request.Headers.Add("X-Read-Consistency", "strong");
            }

            using var response = await client.Http.SendAsync(request);
            if (client == anonymous)
            {
                // A strong read costs the primary: only an accountable, rate-limitable caller may ask for one.
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("primary", response.Headers.GetValues("X-Read-Source").Single());
            Assert.Equal(RoutingReasons.Critical, response.Headers.GetValues("X-Consistency-Reason").Single());
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
            using var response = await greedy.Http.GetAsync("/api/posts?consistency=strong");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                retryAfter ??= response.Headers.RetryAfter?.ToString();
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        // The burst of 10 passes; of the rest, at most the few tokens refilled meanwhile.
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.OK), 10, 15);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.False(string.IsNullOrEmpty(retryAfter), "a 429 without Retry-After");

        using var fair = await other.Http.GetAsync("/api/posts?consistency=strong");
        Assert.Equal(HttpStatusCode.OK, fair.StatusCode);
        // An ordinary read of the same user is not limited.
        using var ordinary = await greedy.Http.GetAsync("/api/posts");
        Assert.Equal(HttpStatusCode.OK, ordinary.StatusCode);
    }

    [Fact]
    public async Task GetPost_OfAMissingId_Is404ProblemDetails()
    {
        using var client = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        using var anonymous = fixture.Default.CreateClient();
        foreach (var http in new[] { client.Http, anonymous.Http })
        {
            using var response = await http.GetAsync($"/api/posts/{long.MaxValue}");
            await ProblemResponse.AssertAsync(response, HttpStatusCode.NotFound);
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

        var feed = await anonymous.GetAsync<List<ApiClient.Post>>("/api/feed");
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
