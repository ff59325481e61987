using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OrleansRaw.Tests.Infrastructure;
using OrleansRaw.ReadYourWrites;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// Retries never duplicate a write: a write sent again with its <c>Idempotency-Key</c> — at the same time, or after a
/// 503 that asked for the retry — commits once and answers every copy with the first outcome. The same key with
/// another request is refused, and a key means nothing to another user.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class IdempotencyTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const string KeyHeader = "Idempotency-Key";
    private const string ReplayedHeader = "Idempotent-Replayed";

    [Fact]
    public async Task WritesSentThreeTimesConcurrently_WithOneKeyEach_CommitOncePerKey()
    {
        const int writes = 200;
        using var api = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var run = Guid.NewGuid().ToString("N");
        var answers = new ConcurrentBag<Answer<Written<ApiClient.Post>>[]>();
        await Parallel.ForEachAsync(Enumerable.Range(0, writes), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            answers.Add(await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => PostAsync(api, $"post {i}", $"{run}-{i}")))));

        var rows = await PostCountsAsync(api.UserId!.Value);
        output.WriteLine($"{writes} writes sent 3 times each: {rows.Count} distinct posts, {rows.Values.Sum()} rows; "
            + $"{answers.Sum(a => a.Count(s => s.Result?.Replayed == true))} replayed answers");
        Assert.Equal(writes, rows.Count);
        Assert.All(rows.Values, count => Assert.Equal(1, count));
        Assert.All(answers, copies =>
        {
            Assert.All(copies, s => Assert.Equal(HttpStatusCode.Created, s.Status));
            Assert.All(copies, s => Assert.NotNull(s.Result!.Token));
            Assert.Single(copies.Select(s => s.Result!.Body).Distinct());
            Assert.Single(copies.Select(s => s.Result!.Location).Distinct());
            Assert.Equal(2, copies.Count(s => s.Result!.Replayed));
        });
    }

    [Fact]
    public async Task WritesSentThreeTimes_WithoutAKey_CommitThreeTimes()
    {
        // What the keys prevent, counted the same way: without one, every copy writes.
        const int writes = 20;
        using var api = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        await Parallel.ForEachAsync(Enumerable.Range(0, writes), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => PostAsync(api, $"post {i}", key: null))));

        var rows = await PostCountsAsync(api.UserId!.Value);
        Assert.Equal(writes, rows.Count);
        Assert.All(rows.Values, count => Assert.Equal(3, count));
    }

    [Fact]
    public async Task WritesRetriedAfterA503_WithTheirKey_CommitOnce_AndAnswerTheFirstOutcome()
    {
        // The first attempt goes to an API whose grains are unreachable: it commits, cannot record the write and answers
        // 503 + Retry-After. The client obeys: it sends the write twice more, at once, to a healthy API.
        const int writes = 200;
        await using var broken = UnreachableGrainsApi();
        var userId = TestUsers.NewId();
        using var first = await ApiClient.For(broken).SignInAsync(userId);
        using var retry = await fixture.Default.CreateClient().SignInAsync(userId);
        var run = Guid.NewGuid().ToString("N");
        var answers = new ConcurrentBag<(Answer<Written<ApiClient.Post>> First, Answer<Written<ApiClient.Post>>[] Retries)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, writes), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var content = $"post {i}";
            var key = $"{run}-{i}";
            var unrecorded = await PostAsync(first, content, key);
            var retries = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => PostAsync(retry, content, key)));
            answers.Add((unrecorded, retries));
        });

        var rows = await PostCountsAsync(userId);
        output.WriteLine($"{writes} writes answered 503 then retried twice: {rows.Count} distinct posts, {rows.Values.Sum()} rows");
        Assert.All(answers, a =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, a.First.Status);
            Assert.NotNull(a.First.RetryAfter);
            Assert.All(a.Retries, r => Assert.Equal(HttpStatusCode.Created, r.Status));
            Assert.All(a.Retries, r => Assert.True(r.Result!.Replayed));
            Assert.All(a.Retries, r => Assert.NotNull(r.Result!.Token));
            Assert.Single(a.Retries.Select(r => r.Result!.Body).Distinct());
        });
        Assert.Equal(writes, rows.Count);
        Assert.All(rows.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task AReplayOfAWriteThatAnswered503_RecordsItsPosition_SoTheNextOwnReadShowsIt()
    {
        // Replicas 1 s behind. Two users read (their grains start at that position), wait until the replicas are past
        // it, then write through the API that cannot record writes (503). The first retries with its key and reads; the
        // second only reads. Without the replay's record, nothing tells the routing about the write.
        await using var broken = UnreachableGrainsApi();
        var (retrier, control) = (TestUsers.NewId(), TestUsers.NewId());
        await fixture.Db.SetLagAsync(TimeSpan.FromSeconds(1));
        try
        {
            var readers = new Dictionary<long, ApiClient>();
            foreach (var user in new[] { retrier, control })
            {
                readers[user] = await fixture.Default.CreateClient().SignInAsync(user);
                await readers[user].GetPostsAsync();
            }

            await Task.Delay(TimeSpan.FromSeconds(1.5));
            var key = Guid.NewGuid().ToString("N");
            foreach (var user in new[] { retrier, control })
            {
                using var writer = await ApiClient.For(broken).SignInAsync(user);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await PostAsync(writer, "through the tunnel", key)).Status);
            }

            var replay = await readers[retrier].CreatePostAsync("through the tunnel", key);
            var afterReplay = await readers[retrier].GetPostsAsync();
            var withoutReplay = await readers[control].GetPostsAsync();
            output.WriteLine($"after the replay: {afterReplay.Body.Count} posts from {afterReplay.Source} ({afterReplay.Reason}); "
                + $"without it: {withoutReplay.Body.Count} from {withoutReplay.Source} ({withoutReplay.Reason})");

            Assert.True(replay.Replayed);
            Assert.Single(afterReplay.Body);
            Assert.Empty(withoutReplay.Body); // the hole the replay's record closes
            foreach (var reader in readers.Values)
            {
                reader.Dispose();
            }
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task TheSameKeyWithAnotherRequest_Answers422_AndWritesNothing()
    {
        using var api = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var key = Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(api, "first", key)).Status);

        var otherBody = await ProblemResponse.ThrowsAsync(() => api.CreatePostAsync("second", key), HttpStatusCode.UnprocessableEntity);
        Assert.False(otherBody.ResponseHeaders.ContainsKey("X-Consistency-Token"));
        await ProblemResponse.ThrowsAsync(() => api.PutProfileAsync("n", "", key), HttpStatusCode.UnprocessableEntity);

        var rows = await PostCountsAsync(api.UserId!.Value);
        Assert.Equal(new Dictionary<string, int> { ["first"] = 1 }, rows);
        Assert.Null(await ProfileNameAsync(api.UserId!.Value));
    }

    [Fact]
    public async Task AKeyUsedByOneUser_IsUselessToAnother()
    {
        using var alice = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        using var bob = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var key = Guid.NewGuid().ToString("N");
        const string content = "same words, same key";

        var fromAlice = await PostAsync(alice, content, key);
        var fromBob = await PostAsync(bob, content, key);
        var bobAgain = await PostAsync(bob, content, key);

        Assert.Equal(HttpStatusCode.Created, fromBob.Status);
        Assert.False(fromBob.Result!.Replayed);
        Assert.Equal(bob.UserId, fromBob.Result.Body.UserId);
        Assert.NotEqual(fromAlice.Result!.Body.Id, fromBob.Result.Body.Id);
        Assert.True(bobAgain.Result!.Replayed);
        Assert.Equal(fromBob.Result.Body, bobAgain.Result.Body);
        Assert.Equal(1, (await PostCountsAsync(alice.UserId!.Value)).Values.Sum());
        Assert.Equal(1, (await PostCountsAsync(bob.UserId!.Value)).Values.Sum());
    }

    [Fact]
    public async Task ACartAdditionSentThreeTimesWithOneKey_AddsItsQuantityOnce()
    {
        using var api = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var key = Guid.NewGuid().ToString("N");
        var keyed = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => ApiClient.AnswerAsync(api.AddToCartAsync(7, 2, key))));
        // The same without a key, on another product: every copy adds.
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => ApiClient.AnswerAsync(api.AddToCartAsync(8, 2))));

        var cart = (await api.GetCartAsync(strong: StrongRead.Query)).Body;
        Assert.All(keyed, s => Assert.Equal(HttpStatusCode.OK, s.Status));
        Assert.Equal(2, keyed.Count(s => s.Result?.Replayed == true));
        Assert.Equal(2, cart.Items.Single(i => i.ProductId == 7).Quantity);
        Assert.Equal(6, cart.Items.Single(i => i.ProductId == 8).Quantity);
    }

    [Theory]
    [InlineData("POST", "/api/posts", """{"content":"replayed"}""")]
    [InlineData("PUT", "/api/profile", """{"name":"Replayed","bio":"twice"}""")]
    [InlineData("POST", "/api/cart/items", """{"productId":3,"quantity":1}""")]
    [InlineData("DELETE", "/api/cart/items/3", null)]
    public async Task ARepeatOnAnyWriteEndpoint_GetsTheFirstResponse_MarkedAsReplayed(string method, string path, string? json)
    {
        // Raw HTTP: the repeat must be the first response again as sent (status, headers, bytes), which only the wire shows.
        using var api = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var key = Guid.NewGuid().ToString("N");
        var first = await SendJsonAsync(api, new HttpMethod(method), path, json, key);
        var repeat = await SendJsonAsync(api, new HttpMethod(method), path, json, key);

        Assert.True(first.Status is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.NoContent, $"{first.Status}: {first.Body}");
        Assert.False(first.Replayed);
        Assert.True(repeat.Replayed);
        Assert.Equal((first.Status, first.ContentType, first.Location, first.Body), (repeat.Status, repeat.ContentType, repeat.Location, repeat.Body));
        Assert.NotNull(first.Token);
        Assert.NotNull(repeat.Token);
    }

    [Theory]
    [InlineData("tab\tinside")]
    [InlineData("caf\u00e9")]
    [InlineData("over-255")]
    public async Task AnInvalidKey_Answers400_AndWritesNothing(string key)
    {
        if (key == "over-255")
        {
            key = new string('k', 256);
        }

        using var api = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        // Raw HTTP: keys a client should never send, sent as they are.
        using var response = await SendRawAsync(api, HttpMethod.Post, "/api/posts", new { content = "never written" }, key);
        await ProblemResponse.AssertAsync(response, HttpStatusCode.BadRequest);
        Assert.Empty(await PostCountsAsync(api.UserId!.Value));
    }

    [Fact]
    public async Task AnEmptyKey_OrTwoKeys_OnTheWire_Answer400_AndWriteNothing()
    {
        // Raw HTTP/1.1 on a real Kestrel port: an HttpClient drops an empty header value before it is sent.
        await using var api = LoopbackApi.Start(fixture.Default);
        var userId = TestUsers.NewId();
        using var signIn = ApiClient.At(api.BaseAddress);
        var token = await signIn.TokenForAsync(userId);
        foreach (var keyLines in new[] { "Idempotency-Key: \r\n", "Idempotency-Key: one\r\nIdempotency-Key: two\r\n" })
        {
            const string body = """{"content":"never written"}""";
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(api.BaseAddress.Host, api.BaseAddress.Port);
            await using var stream = tcp.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                $"POST /api/posts HTTP/1.1\r\nHost: {api.BaseAddress.Authority}\r\nAuthorization: Bearer {token}\r\n"
                + $"Content-Type: application/json\r\n{keyLines}Content-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
            var response = await new StreamReader(stream).ReadToEndAsync();
            Assert.StartsWith("HTTP/1.1 400", response);
            Assert.Contains("application/problem+json", response);
        }

        Assert.Empty(await PostCountsAsync(userId));
    }

    [Fact]
    public async Task AKeyOf255PrintableCharacters_IsAccepted()
    {
        using var api = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var key = string.Concat(Enumerable.Range(0, 255).Select(i => (char)(' ' + i % 95)));
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(api, "long key", key)).Status);
        Assert.True((await api.CreatePostAsync("long key", key)).Replayed);
    }

    [Fact]
    public async Task AnExpiredKey_IsFreeAgain_AndTheCleanupDeletesExpiredKeys()
    {
        using var api = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());
        var userId = api.UserId!.Value;
        var key = Guid.NewGuid().ToString("N");
        const string content = "once a day";
        Assert.False((await api.CreatePostAsync(content, key)).Replayed);
        await ExpireKeysAsync(userId);

        var afterExpiry = await PostAsync(api, content, key);
        Assert.Equal(HttpStatusCode.Created, afterExpiry.Status);
        Assert.False(afterExpiry.Result!.Replayed);
        Assert.Equal(2, (await PostCountsAsync(userId))["once a day"]);

        await ExpireKeysAsync(userId);
        Assert.True(await IdempotencyKeyStore.DeleteExpiredAsync(fixture.Db.Primary, CancellationToken.None) >= 1);
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM orleansraw_idempotency_keys WHERE user_id = @userId", new { userId = TestUsers.Key(userId) }));
    }

    // A response as sent, for the comparison only the wire allows.
    private sealed record Sent(HttpStatusCode Status, string Body, string? ContentType, string? Location, bool Replayed, string? Token);

    private WebApplicationFactory<Program> UnreachableGrainsApi() =>
        fixture.Default.Api.WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Consistency:RecordWriteTimeout", "00:00:00.100");
            builder.ConfigureTestServices(services => services.AddSingleton(UnreachableGrains.Create()));
        });

    private static Task<Answer<Written<ApiClient.Post>>> PostAsync(ApiClient api, string content, string? key) =>
        ApiClient.AnswerAsync(api.CreatePostAsync(content, key));

    private static async Task<Sent> SendJsonAsync(ApiClient api, HttpMethod method, string path, string? json, string key)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        request.Headers.TryAddWithoutValidation(KeyHeader, key);
        using var response = await api.Http.SendAsync(request);
        return await ReadAsync(response);
    }

    private static async Task<HttpResponseMessage> SendRawAsync(ApiClient api, HttpMethod method, string path, object body, string? key)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation(KeyHeader, key);
        }

        return await api.Http.SendAsync(request);
    }

    private static async Task<Sent> ReadAsync(HttpResponseMessage response) => new(
        response.StatusCode,
        await response.Content.ReadAsStringAsync(),
        response.Content.Headers.ContentType?.ToString(),
        response.Headers.Location?.ToString(),
        response.Headers.TryGetValues(ReplayedHeader, out var replayed) && replayed.Single() == "true",
        response.Headers.TryGetValues("X-Consistency-Token", out var token) ? token.Single() : null);

    private async Task<Dictionary<string, int>> PostCountsAsync(long userId)
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        return (await connection.QueryAsync<(string Content, long Count)>(
            "SELECT content, count(*) FROM posts WHERE user_id = @userId GROUP BY content", new { userId }))
            .ToDictionary(r => r.Content, r => (int)r.Count);
    }

    private async Task<string?> ProfileNameAsync(long userId)
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<string?>("SELECT name FROM users WHERE id = @userId", new { userId });
    }

    private async Task ExpireKeysAsync(long userId)
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE orleansraw_idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = @userId", new { userId = TestUsers.Key(userId) });
    }
}
