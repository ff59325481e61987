using System.Net;
using System.Net.Http.Headers;
using OrleansRaw.Client;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Client;

/// <summary>
/// The client's token handler on its own, against a stub server: it sends the latest token it was answered, per user,
/// and a file store hands it to the next process.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class ConsistencyTokenHandlerTests
{
    [Fact]
    public async Task EachRequest_CarriesTheTokenOfTheLatestResponse()
    {
        var server = new StubServer();
        using var http = Client(server, new InMemoryConsistencyTokenStore(), "alice");

        await http.GetAsync("/api/posts");
        server.NextToken = "t1";
        await http.PostAsync("/api/posts", null);
        server.NextToken = "t2";
        await http.GetAsync("/api/feed");
        server.NextToken = null;
        await http.GetAsync("/api/feed");

        Assert.Equal([null, null, "t1", "t2"], server.Received);
    }

    [Fact]
    public async Task OneUsersToken_IsNeverSentForAnother()
    {
        var server = new StubServer { NextToken = "alices" };
        var store = new InMemoryConsistencyTokenStore();
        using var alice = Client(server, store, "alice");
        using var bob = Client(server, store, "bob");

        await alice.PostAsync("/api/posts", null);
        server.NextToken = null;
        await bob.GetAsync("/api/posts");
        await alice.GetAsync("/api/posts");

        Assert.Equal([null, null, "alices"], server.Received);
    }

    [Fact]
    public async Task ATokenSetByTheCaller_IsSentInsteadOfTheStoredOne()
    {
        var server = new StubServer { NextToken = "stored" };
        using var http = Client(server, new InMemoryConsistencyTokenStore(), "alice");
        await http.PostAsync("/api/posts", null);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/posts");
        request.Headers.Add(ConsistencyTokenHandler.HeaderName, "mine");
        await http.SendAsync(request);

        Assert.Equal([null, "mine"], server.Received);
    }

    [Fact]
    public async Task AFileStore_HandsTheTokenToTheNextClient_AndKeepsNoCredentials()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("orleansraw-tokens-").FullName, "tokens.json");
        var server = new StubServer { NextToken = "persisted" };
        using (var first = Client(server, new FileConsistencyTokenStore(file), "alice"))
        {
            await first.PostAsync("/api/posts", null);
        }

        server.NextToken = null;
        using (var second = Client(server, new FileConsistencyTokenStore(file), "alice"))
        {
            await second.GetAsync("/api/posts");
        }

        Assert.Equal([null, "persisted"], server.Received);
        Assert.DoesNotContain("alice", await File.ReadAllTextAsync(file));
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
    }

    private static HttpClient Client(StubServer server, IConsistencyTokenStore store, string user)
    {
        var http = OrleansRawClient.CreateHttpClient(new Uri("http://127.0.0.1:1/"), store, server);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "jwt-of-" + user);
        return http;
    }

    /// <summary>Records the token each request carried and answers with <see cref="NextToken"/>, if any.</summary>
    private sealed class StubServer : HttpMessageHandler
    {
        public List<string?> Received { get; } = [];

        public string? NextToken { get; set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Received.Add(request.Headers.TryGetValues(ConsistencyTokenHandler.HeaderName, out var values) ? values.Single() : null);
            var response = new HttpResponseMessage(HttpStatusCode.OK);
            if (NextToken is not null)
            {
                response.Headers.Add(ConsistencyTokenHandler.HeaderName, NextToken);
            }

            return Task.FromResult(response);
        }
    }
}
