using System.Net;
using System.Text;
using OrleansRaw.Bench.Workload;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Bench;

/// <summary>
/// The benchmark's user on the generated client, against a stub API: what it sends, and how it turns answers into
/// samples — the read source and reason from the response headers (never the previous response's), a 404 profile as an
/// answer, any other refusal or a broken connection as an error keyed by endpoint.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class BenchUserTests
{
    private const long UserId = 42;

    [Fact]
    public async Task AWriteAndItsReadBack_SendTheBearerToken_AndSampleTheRoutingHeaders()
    {
        var api = new StubApi();
        var user = await SignedInAsync(api);

        var write = await user.WriteAsync(WriteKind.Post, CancellationToken.None);
        api.Respond = _ => Json("""[{"id": 7, "userId": 42, "content": "x"}]""", ("X-Read-Source", "replica:replica-1"), ("X-Consistency-Reason", "own-write-replica-caught-up"));
        var read = await user.ReadOwnAsync(TimeSpan.FromMilliseconds(60), CancellationToken.None);

        Assert.True(write.Ok);
        Assert.Equal(RequestKind.Write, write.Kind);
        Assert.Equal("primary", write.Source);
        Assert.Equal(new Sample(RequestKind.OwnRead, true, read.At, read.LatencyMs, "replica:replica-1", "own-write-replica-caught-up", Fresh: true,
            Think: TimeSpan.FromMilliseconds(60)), read);
        Assert.Equal(["POST /api/auth/dev-token", "POST /api/posts", "GET /api/posts"], api.Requests);
        Assert.Equal([null, "Bearer token-42", "Bearer token-42"], api.Authorizations);
        Assert.Contains("\"content\":\"bench post 1 of user 42\"", api.Bodies[1]);
    }

    [Fact]
    public async Task AReadWithoutTheWrite_IsStale_AndNoHeaderOfAnEarlierResponseRemains()
    {
        var api = new StubApi();
        var user = await SignedInAsync(api);
        await user.WriteAsync(WriteKind.Post, CancellationToken.None);

        api.Respond = _ => Json("[]");
        var read = await user.ReadOwnAsync(TimeSpan.Zero, CancellationToken.None);

        Assert.True(read is { Ok: true, Stale: true, Source: null, Reason: null }, read.ToString());
    }

    [Fact]
    public async Task AStrongRead_AsksForIt_InTheQuery()
    {
        var api = new StubApi();
        var user = await SignedInAsync(api);
        await user.WriteAsync(WriteKind.Cart, CancellationToken.None);

        api.Respond = _ => Json("""{"items": [{"productId": 1, "quantity": 1}]}""");
        var read = await user.ReadOwnAsync(TimeSpan.Zero, CancellationToken.None, strong: true);

        Assert.True(read is { Ok: true, Fresh: true }, read.ToString());
        Assert.Equal("GET /api/cart?consistency=strong", api.Requests[^1]);
    }

    [Fact]
    public async Task AProfileNotThereYet_IsAnAnswer_StaleForItsWriter()
    {
        var api = new StubApi();
        var user = await SignedInAsync(api);
        await user.WriteAsync(WriteKind.Profile, CancellationToken.None);

        api.Respond = _ => Problem(HttpStatusCode.NotFound, ("X-Read-Source", "replica:replica-2"));
        var own = await user.ReadOwnAsync(TimeSpan.Zero, CancellationToken.None);
        var foreign = await user.ReadForeignAsync(43, ForeignKind.Profile, CancellationToken.None);

        Assert.True(own is { Ok: true, Stale: true, Source: "replica:replica-2" }, own.ToString());
        Assert.True(foreign is { Ok: true, Fresh: null, Source: "replica:replica-2" }, foreign.ToString());
        Assert.Equal(["GET /api/profile/42", "GET /api/profile/43"], api.Requests.TakeLast(2));
    }

    [Fact]
    public async Task ARefusal_OrABrokenConnection_IsAnErrorKeyedByEndpoint()
    {
        var api = new StubApi();
        var user = await SignedInAsync(api);
        await user.WriteAsync(WriteKind.Post, CancellationToken.None);

        api.Respond = _ => Problem(HttpStatusCode.ServiceUnavailable);
        var unavailable = await user.ReadOwnAsync(TimeSpan.Zero, CancellationToken.None);
        api.Respond = _ => Problem(HttpStatusCode.NotFound);
        var missing = await user.ReadOwnAsync(TimeSpan.Zero, CancellationToken.None); // a 404 answers only profile reads
        api.Respond = _ => new HttpResponseMessage(HttpStatusCode.InternalServerError);
        var failed = await user.WriteAsync(WriteKind.Profile, CancellationToken.None);
        api.Respond = _ => throw new HttpRequestException("connection refused");
        var refused = await user.ReadForeignAsync(43, ForeignKind.Posts, CancellationToken.None);

        Assert.Equal(
            ["503 GET /api/posts", "404 GET /api/posts", "500 PUT /api/profile", "HttpRequestException GET /api/users/{id}/posts"],
            new[] { unavailable, missing, failed, refused }.Select(s => s.Error));
        Assert.All(new[] { unavailable, missing, failed, refused }, s => Assert.False(s.Ok));
    }

    private static async Task<BenchUser> SignedInAsync(StubApi api)
    {
        var user = new BenchUser(new ApiTarget(new Uri("http://api.test/"), api, TimeSpan.FromSeconds(5)), UserId, () => TimeSpan.Zero);
        await user.SignInAsync(CancellationToken.None);
        return user;
    }

    private static HttpResponseMessage Json(string json, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            response.Headers.Add(name, value);
        }

        return response;
    }

    private static HttpResponseMessage Problem(HttpStatusCode status, params (string Name, string Value)[] headers)
    {
        var response = Json($$"""{"status": {{(int)status}}, "title": "refused"}""", headers);
        response.StatusCode = status;
        response.Content.Headers.ContentType = new("application/problem+json");
        return response;
    }

    /// <summary>Answers sign-ins as the API does, everything else as <see cref="Respond"/> says (writes, at first). Records each request.</summary>
    private sealed class StubApi : HttpMessageHandler
    {
        public Func<HttpRequestMessage, HttpResponseMessage> Respond { get; set; } = Writes;

        public List<string> Requests { get; } = [];

        public List<string?> Authorizations { get; } = [];

        public List<string> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add($"{request.Method} {request.RequestUri!.PathAndQuery}");
            Authorizations.Add(request.Headers.Authorization?.ToString());
            Bodies.Add(request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken));
            return request.RequestUri.AbsolutePath == "/api/auth/dev-token" ? Json($$"""{"token": "token-{{UserId}}"}""") : Respond(request);
        }

        private static HttpResponseMessage Writes(HttpRequestMessage request) => (request.Method.Method, request.RequestUri!.AbsolutePath) switch
        {
            ("POST", "/api/posts") => Json("""{"id": 7, "userId": 42, "content": "x"}""", ("X-Read-Source", "primary")),
            ("PUT", "/api/profile") => Json("""{"id": 42, "name": "n", "bio": "b"}"""),
            ("POST", "/api/cart/items") => Json("""{"items": [{"productId": 1, "quantity": 1}]}"""),
            _ => throw new InvalidOperationException($"no answer set for {request.Method} {request.RequestUri}"),
        };
    }
}
