using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Dapper;
using Microsoft.Kiota.Abstractions;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// Hostile and broken input: every case is answered with the right 4xx and a ProblemDetails body, never a 500, and
/// leaves the user's rows on the primary exactly as they were. Valid text that looks like SQL is stored as text.
/// The broken requests go raw (<see cref="ApiClient.Http"/>): the generated client only sends well-formed ones.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class BadInputTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const string Json = "application/json";

    // Valid JSON with a valid content, padded past the 64 KB limit: only the size is wrong.
    private static readonly string OversizedPost = $$"""{"content": "x"{{new string(' ', 70_000)}}}""";

    private sealed record Case(string Method, string Path, string? Body, HttpStatusCode Status, string ContentType = Json, bool Latin1 = false);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Bodies that are not the JSON the endpoint expects.
        ["post: malformed json"] = new("POST", "/api/posts", "{content: hi}", HttpStatusCode.BadRequest),
        ["post: truncated json"] = new("POST", "/api/posts", """{"content": "hi""", HttpStatusCode.BadRequest),
        ["post: content is a number"] = new("POST", "/api/posts", """{"content": 5}""", HttpStatusCode.BadRequest),
        ["post: content is an object"] = new("POST", "/api/posts", """{"content": {"text": "hi"}}""", HttpStatusCode.BadRequest),
        ["post: body is null"] = new("POST", "/api/posts", "null", HttpStatusCode.BadRequest),
        ["post: body is an array"] = new("POST", "/api/posts", """["hi"]""", HttpStatusCode.BadRequest),
        ["post: missing body"] = new("POST", "/api/posts", null, HttpStatusCode.BadRequest),
        ["post: empty body"] = new("POST", "/api/posts", "", HttpStatusCode.BadRequest),
        ["post: not json"] = new("POST", "/api/posts", "content=hi", HttpStatusCode.UnsupportedMediaType, "application/x-www-form-urlencoded"),
        ["post: text/plain"] = new("POST", "/api/posts", """{"content": "hi"}""", HttpStatusCode.UnsupportedMediaType, "text/plain"),
        ["post: bytes that are not utf-8"] = new("POST", "/api/posts", "{\"content\": \"caf\u00e9 \u00ff\"}", HttpStatusCode.BadRequest, Latin1: true),

        // Content out of its rules.
        ["post: content missing"] = new("POST", "/api/posts", "{}", HttpStatusCode.BadRequest),
        ["post: content null"] = new("POST", "/api/posts", """{"content": null}""", HttpStatusCode.BadRequest),
        ["post: content empty"] = new("POST", "/api/posts", """{"content": ""}""", HttpStatusCode.BadRequest),
        ["post: content blank"] = new("POST", "/api/posts", """{"content": " \t\n "}""", HttpStatusCode.BadRequest),
        ["post: content 5001 chars"] = new("POST", "/api/posts", $$"""{"content": "{{new string('x', 5001)}}"}""", HttpStatusCode.BadRequest),
        ["post: content 5001 emoji"] = new("POST", "/api/posts", $$"""{"content": "{{string.Concat(Enumerable.Repeat("\\ud83d\\ude00", 5001))}}"}""", HttpStatusCode.BadRequest),
        ["post: lone surrogate"] = new("POST", "/api/posts", """{"content": "bad \ud800 text"}""", HttpStatusCode.BadRequest),
        ["post: NUL in content"] = new("POST", "/api/posts", """{"content": "a\u0000b"}""", HttpStatusCode.BadRequest),

        // An oversized body that announces its length is refused before it is read (streamed ones: see the Kestrel test).
        ["post: 70 KB body"] = new("POST", "/api/posts", OversizedPost, HttpStatusCode.RequestEntityTooLarge),

        ["profile: name missing"] = new("PUT", "/api/profile", """{"bio": "no name"}""", HttpStatusCode.BadRequest),
        ["profile: name empty"] = new("PUT", "/api/profile", """{"name": "", "bio": ""}""", HttpStatusCode.BadRequest),
        ["profile: name blank"] = new("PUT", "/api/profile", """{"name": "   ", "bio": ""}""", HttpStatusCode.BadRequest),
        ["profile: name 101 chars"] = new("PUT", "/api/profile", $$"""{"name": "{{new string('n', 101)}}", "bio": ""}""", HttpStatusCode.BadRequest),
        ["profile: bio 2001 chars"] = new("PUT", "/api/profile", $$"""{"name": "ok", "bio": "{{new string('b', 2001)}}"}""", HttpStatusCode.BadRequest),
        ["profile: name is a number"] = new("PUT", "/api/profile", """{"name": 5, "bio": ""}""", HttpStatusCode.BadRequest),
        ["profile: bio is an array"] = new("PUT", "/api/profile", """{"name": "ok", "bio": ["x"]}""", HttpStatusCode.BadRequest),
        ["profile: lone surrogate in bio"] = new("PUT", "/api/profile", """{"name": "ok", "bio": "\udc00"}""", HttpStatusCode.BadRequest),
        ["profile: NUL in name"] = new("PUT", "/api/profile", """{"name": "a\u0000", "bio": ""}""", HttpStatusCode.BadRequest),
        ["profile: truncated json"] = new("PUT", "/api/profile", """{"name": "ok", "bio""", HttpStatusCode.BadRequest),

        ["cart: quantity 0"] = new("POST", "/api/cart/items", """{"productId": 7, "quantity": 0}""", HttpStatusCode.BadRequest),
        ["cart: quantity 1001"] = new("POST", "/api/cart/items", """{"productId": 7, "quantity": 1001}""", HttpStatusCode.BadRequest),
        ["cart: quantity -1"] = new("POST", "/api/cart/items", """{"productId": 7, "quantity": -1}""", HttpStatusCode.BadRequest),
        ["cart: quantity missing"] = new("POST", "/api/cart/items", """{"productId": 7}""", HttpStatusCode.BadRequest),
        ["cart: quantity is text"] = new("POST", "/api/cart/items", """{"productId": 7, "quantity": "x"}""", HttpStatusCode.BadRequest),
        ["cart: quantity is fractional"] = new("POST", "/api/cart/items", """{"productId": 7, "quantity": 1.5}""", HttpStatusCode.BadRequest),
        ["cart: quantity overflows int"] = new("POST", "/api/cart/items", """{"productId": 7, "quantity": 99999999999}""", HttpStatusCode.BadRequest),
        ["cart: productId 0"] = new("POST", "/api/cart/items", """{"productId": 0, "quantity": 1}""", HttpStatusCode.BadRequest),
        ["cart: productId -5"] = new("POST", "/api/cart/items", """{"productId": -5, "quantity": 1}""", HttpStatusCode.BadRequest),
        ["cart: productId overflows long"] = new("POST", "/api/cart/items", """{"productId": 99999999999999999999, "quantity": 1}""", HttpStatusCode.BadRequest),
        ["cart: productId is null"] = new("POST", "/api/cart/items", """{"productId": null, "quantity": 1}""", HttpStatusCode.BadRequest),

        ["dev-token: userId 0"] = new("POST", "/api/auth/dev-token", """{"userId": 0}""", HttpStatusCode.BadRequest),
        ["dev-token: userId -1"] = new("POST", "/api/auth/dev-token", """{"userId": -1}""", HttpStatusCode.BadRequest),
        ["dev-token: userId is text"] = new("POST", "/api/auth/dev-token", """{"userId": "x"}""", HttpStatusCode.BadRequest),

        // Ids in routes that are no ids, or no one's.
        ["route: post id overflows long"] = new("GET", "/api/posts/99999999999999999999", null, HttpStatusCode.NotFound),
        ["route: post id is text"] = new("GET", "/api/posts/abc", null, HttpStatusCode.NotFound),
        ["route: post id -1"] = new("GET", "/api/posts/-1", null, HttpStatusCode.NotFound),
        ["route: user id overflows long"] = new("GET", "/api/users/99999999999999999999/posts", null, HttpStatusCode.NotFound),
        ["route: user id 0"] = new("GET", "/api/users/0/posts", null, HttpStatusCode.NotFound),
        ["route: user id -1"] = new("GET", "/api/users/-1/posts", null, HttpStatusCode.NotFound),
        ["route: profile id -1"] = new("GET", "/api/profile/-1", null, HttpStatusCode.NotFound),
        ["route: profile id overflows long"] = new("GET", "/api/profile/99999999999999999999", null, HttpStatusCode.NotFound),
        ["route: cart product id overflows long"] = new("DELETE", "/api/cart/items/99999999999999999999", null, HttpStatusCode.NotFound),
        ["route: cart product id is text"] = new("DELETE", "/api/cart/items/abc", null, HttpStatusCode.NotFound),
        ["route: no such path"] = new("GET", "/api/nothing-here", null, HttpStatusCode.NotFound),
        ["route: wrong method"] = new("DELETE", "/api/feed", null, HttpStatusCode.MethodNotAllowed),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task BadInput_Is4xxProblemDetails_AndChangesNothing(string name)
    {
        var bad = Cases[name];
        using var client = await SeededUserAsync();
        var before = await fixture.Db.UserRowsAsync(client.UserId!.Value);

        using var request = new HttpRequestMessage(new HttpMethod(bad.Method), bad.Path);
        if (bad.Body is not null)
        {
            request.Content = new ByteArrayContent((bad.Latin1 ? Encoding.Latin1 : Encoding.UTF8).GetBytes(bad.Body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", bad.ContentType);
        }

        using var response = await client.Http.SendAsync(request);
        var problem = await ProblemResponse.AssertAsync(response, bad.Status);
        output.WriteLine(problem.ToString());
        Assert.Equal(before, await fixture.Db.UserRowsAsync(client.UserId.Value));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OversizedBodies_AreRefusedWith413ProblemDetails_ByKestrel_AnnouncedOrStreamed(bool chunked)
    {
        // The test server enforces no body size limit; the production server does, also for bodies of unknown length.
        await using var kestrel = new Deployment.ApiFactory(fixture.Default.Cluster.Client, fixture.Default.Settings);
        kestrel.UseKestrel(0);
        using var client = ApiClient.For(kestrel);
        Assert.NotEqual(5080, client.Http.BaseAddress!.Port);
        await client.SignInAsync(TestUsers.NewId());
        var before = await fixture.Db.UserRowsAsync(client.UserId!.Value);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/posts") { Content = new StringContent(OversizedPost, Encoding.UTF8, Json) };
        request.Headers.TransferEncodingChunked = chunked;
        using var response = await client.Http.SendAsync(request);

        await ProblemResponse.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await fixture.Db.UserRowsAsync(client.UserId.Value));
    }

    [Fact]
    public async Task HugeHeaders_AreRefusedWith431_ByKestrel_BeforeAnyWork()
    {
        // Kestrel refuses headers over 32 KB before the request reaches the application, so the answer has no
        // ProblemDetails body (nothing of ours runs); what matters is the 4xx and that nothing was written.
        await using var kestrel = new Deployment.ApiFactory(fixture.Default.Cluster.Client, fixture.Default.Settings);
        kestrel.UseKestrel(0);
        using var client = ApiClient.For(kestrel);
        await client.SignInAsync(TestUsers.NewId());
        var before = await fixture.Db.UserRowsAsync(client.UserId!.Value);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/posts") { Content = new StringContent("""{"content":"x"}""", Encoding.UTF8, Json) };
        request.Headers.Add("X-Padding", new string('a', 40 * 1024));
        using var response = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Equal(before, await fixture.Db.UserRowsAsync(client.UserId.Value));
    }

    [Fact]
    public async Task CartLine_BeyondTheMaximum_Is400_AndKeepsTheLine()
    {
        using var client = await SeededUserAsync(); // holds 2 of product 7
        var before = await fixture.Db.UserRowsAsync(client.UserId!.Value);

        await ProblemResponse.ThrowsAsync(() => client.AddToCartAsync(7, 999), HttpStatusCode.BadRequest);
        Assert.Equal(before, await fixture.Db.UserRowsAsync(client.UserId.Value));
    }

    [Fact]
    public async Task TextThatLooksLikeSql_IsStoredVerbatim_AndTheTablesStayIntact()
    {
        using var client = await SeededUserAsync();
        var tablesBefore = await TableCountsAsync();
        const string Content = "'); DROP TABLE posts; -- \" OR 1=1; DELETE FROM cart_items; $$ \\x00 ;";
        const string Name = "Robert'); DROP TABLE users;--";
        const string Bio = "' OR '1'='1' UNION SELECT * FROM users --";

        var (post, _) = await client.CreatePostAsync(Content);
        var profile = (await client.PutProfileAsync(Name, Bio)).Body;
        Assert.Equal(Content, post.Content);
        Assert.Equal((Name, Bio), (profile.Name, profile.Bio));

        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        Assert.Equal(Content, await connection.ExecuteScalarAsync<string>("SELECT content FROM posts WHERE id = @id", new { id = post.Id }));
        Assert.Equal(Name, await connection.ExecuteScalarAsync<string>("SELECT name FROM users WHERE id = @id", new { id = client.UserId }));
        var read = await client.GetPostAsync(post.Id, strong: StrongRead.Query);
        Assert.Equal(Content, read.Body.Content);

        var tablesAfter = await TableCountsAsync();
        Assert.Equal(tablesBefore.Posts + 1, tablesAfter.Posts);
        Assert.Equal(tablesBefore.Users, tablesAfter.Users); // the seeded profile was updated in place
        Assert.Equal(tablesBefore.CartItems, tablesAfter.CartItems);
    }

    [Fact]
    public async Task Writes_BeyondTheUsersRate_Are429_WithRetryAfter_AndProblemDetails()
    {
        var limited = await fixture.DeploymentAsync("ratelimited", new Dictionary<string, string?>
        {
            ["RateLimiting:WritesPerSecond"] = "1",
            ["RateLimiting:WriteBurst"] = "2",
        });
        using var client = await limited.CreateClient().SignInAsync(TestUsers.NewId());

        // The bucket holds 2 and gains 1 a second: the 3rd quick write is refused, unless a refill tick fell between
        // the writes, in which case the 4th is (four writes take far less than the two seconds two ticks need).
        var statuses = new List<HttpStatusCode>();
        ApiException? refused = null;
        for (var i = 0; i < 4 && refused is null; i++)
        {
            var answer = await ApiClient.AnswerAsync(client.CreatePostAsync($"write {i}"));
            statuses.Add(answer.Status);
            if (answer.Status == HttpStatusCode.TooManyRequests)
            {
                refused = answer.Problem;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created], statuses.Take(2));
        Assert.InRange(statuses.Count, 3, 4);
        ProblemResponse.AssertThrown(refused, HttpStatusCode.TooManyRequests);
        var retryAfter = refused.ResponseHeaders.TryGetValue("Retry-After", out var values) ? RetryConditionHeaderValue.Parse(values.Single()).Delta : null;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.StartsWith($"{statuses.Count - 1} posts", await fixture.Db.UserRowsAsync(client.UserId!.Value));

        // After waiting as told (plus a little: the bucket refills on a timer, which a busy machine fires late), the user may write again.
        await Task.Delay(retryAfter.Value + TimeSpan.FromMilliseconds(250));
        var again = await ApiClient.AnswerAsync(client.CreatePostAsync("after waiting"));
        Assert.True(again.Status == HttpStatusCode.Created, $"after waiting {retryAfter}: {(int)again.Status} {again.Problem?.Message} (writes before: {string.Join(", ", statuses)})");
    }

    // A user with a post, a profile and a cart line, so that a bad request that changed anything would show.
    private async Task<ApiClient> SeededUserAsync()
    {
        var client = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        await client.CreatePostAsync("seed");
        await client.PutProfileAsync("Seed", "seeded");
        await client.AddToCartAsync(7, 2);
        return client;
    }

    private async Task<(long Posts, long Users, long CartItems)> TableCountsAsync()
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(long, long, long)>(
            "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM users), (SELECT count(*) FROM cart_items)");
    }
}
