using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using OrleansRaw.Client;
using OrleansRaw.Client.Models;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// The consistency token: every write hands one out, reads accept it back, anything forged, malformed or someone
/// else's is refused; and two API instances sharing the cluster keep a user's reads consistent with no token at all.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed partial class ConsistencyTokenTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const string TokenHeader = "X-Consistency-Token";

    [Fact]
    public async Task EverySuccessfulWrite_ReturnsAUrlSafeSignedToken()
    {
        using var client = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var writes = new Func<Task<string?>>[]
        {
            async () => (await client.CreatePostAsync("token please")).Token,
            async () => (await client.PutProfileAsync("Token", "")).Token,
            async () => (await client.AddToCartAsync(3, 1)).Token,
            async () => (await client.RemoveFromCartAsync(3)).Token,
        };
        foreach (var write in writes)
        {
            var token = await write();
            Assert.NotNull(token);
            Assert.Matches(UrlSafeToken(), token);
        }
    }

    [Fact]
    public async Task AReadWithTheWritesToken_SeesTheWrite()
    {
        using var client = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var (post, token) = await client.CreatePostAsync("read me back " + Guid.NewGuid());

        var posts = await client.GetPostsAsync(token);
        Assert.Contains(posts.Body, p => p.Id == post.Id);
        var one = await client.GetPostAsync(post.Id, token);
        Assert.Equal(post.Content, one.Body.Content);
    }

    // Every kind of forgery is refused by the tokens themselves (TokenForgeryTests, no cluster needed); these show that
    // a refusal, of a token or of the header itself, reaches the client as a 400 on every reading endpoint.
    [Theory]
    [InlineData("payload-changed")]
    [InlineData("signature-changed")]
    [InlineData("not-base64")]
    [InlineData("too-long")]
    [InlineData("two-tokens")]
    [InlineData("another-users-token")]
    public async Task ForgedMalformedOrForeignTokens_Are400ProblemDetails(string kind)
    {
        using var client = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var (_, token) = await client.CreatePostAsync("a write for a token");
        var (payload, signature) = Split(token!);
        var parts = Encoding.UTF8.GetString(payload).Split('|'); // v2|userId|timeline|lsn
        using var other = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        string[] sent = kind switch
        {
            "payload-changed" => [Join(Encoding.UTF8.GetBytes($"{parts[0]}|{parts[1]}|FFFFFFFF/0"), signature)],
            "signature-changed" => [Join(payload, [.. signature.Select((b, i) => i == 0 ? (byte)(b ^ 1) : b)])],
            "not-base64" => ["!!!!.????"],
            "too-long" => [token + new string('A', 300)],
            "two-tokens" => [token!, token!],
            "another-users-token" => [(await other.CreatePostAsync("theirs")).Token!],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        // Raw HTTP: "two-tokens" sends the header twice, which the generated client cannot; every case goes the same way.
        foreach (var path in new[] { "/api/posts", "/api/cart" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation(TokenHeader, sent);
            using var response = await client.Http.SendAsync(request);
            await ProblemResponse.AssertAsync(response, HttpStatusCode.BadRequest);
        }
    }

    [Fact]
    public async Task ATokenWithoutTimeline_FromBeforeTimelinesWereCarried_IsReadOnThePrimary_AndReplacedByOneWithIt()
    {
        using var client = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var (post, token) = await client.CreatePostAsync("old token " + Guid.NewGuid());
        var (payload, _) = Split(token!);
        var parts = Encoding.UTF8.GetString(payload).Split('|'); // v3|timeline|lsn|userId
        Assert.Equal(["v3", "1"], parts[..2]);
        Assert.Equal(client.UserId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), parts[3]);

        // Signed as the first version did (v1|userId|lsn), with the same derived key.
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Deployment.SigningKey), "orleansraw-consistency-token"u8);
        var old = Encoding.UTF8.GetBytes($"v1|{parts[3]}|{parts[2]}");
        var read = await client.GetPostsAsync(Join(old, HMACSHA256.HashData(key, old)));
        Assert.Contains(read.Body, p => p.Id == post.Id);
        Assert.Equal(("primary", "other-timeline"), (read.Source, read.Reason));
        Assert.NotNull(read.Token);
        var (renewed, _) = Split(read.Token);
        Assert.StartsWith("v3|", Encoding.UTF8.GetString(renewed));
    }

    [Fact]
    public async Task TwoApiInstances_KeepOwnReadsConsistent_WithNoToken_At300MsLag()
    {
        const int Users = 20;
        const int PairsPerUser = 10;
        await using var second = new Deployment.ApiFactory(fixture.Default.Cluster.Client, fixture.Default.Settings);
        var users = new List<(ApiClient Writer, ApiClient Reader)>();
        for (var i = 0; i < Users; i++)
        {
            var writer = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
            var reader = ApiClient.For(second).SignInAs(writer);
            users.Add((writer, reader));
        }

        await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(300));
        try
        {
            var stale = 0;
            var sources = new ConcurrentDictionary<string, int>();
            var started = Stopwatch.StartNew();
            await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = Users }, async (user, _) =>
            {
                for (var i = 0; i < PairsPerUser; i++)
                {
                    var (post, _) = await user.Writer.CreatePostAsync($"instance A {i} {Guid.NewGuid():N}");
                    var read = await user.Reader.GetPostsAsync();
                    if (!read.Body.Any(p => p.Id == post.Id))
                    {
                        Interlocked.Increment(ref stale);
                    }

                    sources.AddOrUpdate(read.Reason, 1, (_, n) => n + 1);
                }
            });
            output.WriteLine($"write on instance A → own read on instance B, no token, 300 ms lag: {Users * PairsPerUser} pairs, {stale} stale in {started.Elapsed.TotalSeconds:F1} s; reasons: "
                + string.Join(", ", sources.Select(s => $"{s.Key}={s.Value}")));
            Assert.Equal(0, stale);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
            foreach (var (writer, reader) in users)
            {
                writer.Dispose();
                reader.Dispose();
            }
        }
    }

    [Fact]
    public async Task ATokenFromOneApiInstance_IsAcceptedByAnother()
    {
        // The generated client on each instance, their handlers sharing one store: the token of the write on the first
        // is sent, by itself, with the read on the second.
        await using var second = new Deployment.ApiFactory(fixture.Default.Cluster.Client, fixture.Default.Settings);
        using var user = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var store = new InMemoryConsistencyTokenStore();
        using var writerHttp = OrleansRawClient.CreateHttpClient(new Uri("http://localhost/"), store, fixture.Default.Api.Server.CreateHandler());
        using var readerHttp = OrleansRawClient.CreateHttpClient(new Uri("http://localhost/"), store, second.Server.CreateHandler());
        writerHttp.DefaultRequestHeaders.Authorization = readerHttp.DefaultRequestHeaders.Authorization = user.Http.DefaultRequestHeaders.Authorization;

        var post = await OrleansRawClient.Create(writerHttp).Api.Posts.PostAsync(new CreatePostRequest { Content = "carried by a token " + Guid.NewGuid() });
        var sent = await store.GetAsync(ConsistencyTokenHandler.ScopeByUser(new HttpRequestMessage { Headers = { Authorization = user.Http.DefaultRequestHeaders.Authorization } }));
        Assert.NotNull(sent);
        var read = await OrleansRawClient.Create(readerHttp).Api.Posts.GetAsync();
        Assert.Contains(read!, p => p.Id == post!.Id);
    }

    private static (byte[] Payload, byte[] Signature) Split(string token)
    {
        var dot = token.IndexOf('.');
        return (Base64Url.DecodeFromChars(token.AsSpan(0, dot)), Base64Url.DecodeFromChars(token.AsSpan(dot + 1)));
    }

    private static string Join(byte[] payload, byte[] signature) =>
        Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(signature);

    [GeneratedRegex("^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$")]
    private static partial Regex UrlSafeToken();

    [Fact]
    public async Task ReplayedOldToken_IsHarmless_TheReadStillShowsTheLatestWrite()
    {
        await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(300));
        try
        {
            using var client = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
            var (_, oldToken) = await client.CreatePostAsync("first");
            var (latest, _) = await client.CreatePostAsync("second");

            // An old token only asks for an older position; the grain still knows the latest write.
            var read = await client.GetPostsAsync(oldToken);
            Assert.Contains(read.Body, p => p.Id == latest.Id);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }
}
