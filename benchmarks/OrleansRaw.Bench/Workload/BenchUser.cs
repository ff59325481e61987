using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace OrleansRaw.Bench.Workload;

/// <summary>
/// One signed-in user talking to the API over HTTP, as an app would. Every call returns a <see cref="Sample"/>;
/// a failed call is recorded, never thrown, so one bad answer does not end the user's run.
/// </summary>
public sealed class BenchUser(HttpClient http, long userId, Func<TimeSpan> clock)
{
    private AuthenticationHeaderValue? _auth;
    private int _writes;

    public long Id => userId;

    private sealed record TokenResponse(string Token);

    private sealed record Post(long Id, long UserId, string Content, DateTime CreatedAt);

    private sealed record Profile(long Id, string Name, string Bio, DateTime UpdatedAt);

    private sealed record CartItem(long ProductId, int Quantity, DateTime AddedAt);

    private sealed record Cart(List<CartItem> Items);

    /// <summary>What the last write put there, for the read-back check.</summary>
    private sealed record Written(WriteKind Kind, long PostId = 0, string ProfileName = "", long ProductId = 0);

    private Written? _last;

    public async Task SignInAsync(CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/api/auth/dev-token", new { userId }, cancellationToken);
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken))!.Token;
        _auth = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>Writes one thing of <paramref name="kind"/>; each write is unique, so its read-back is unambiguous.</summary>
    public async Task<Sample> WriteAsync(WriteKind kind, CancellationToken cancellationToken)
    {
        var n = ++_writes;
        var (method, path, body) = kind switch
        {
            WriteKind.Post => (HttpMethod.Post, "/api/posts", (object)new { content = $"bench post {n} of user {userId}" }),
            WriteKind.Profile => (HttpMethod.Put, "/api/profile", new { name = ProfileName(n), bio = $"profile version {n}" }),
            _ => (HttpMethod.Post, "/api/cart/items", new { productId = (long)n, quantity = 1 }),
        };

        return await SendAsync(RequestKind.Write, method, path, body, async response =>
        {
            _last = kind switch
            {
                WriteKind.Post => new Written(kind, PostId: (await response.Content.ReadFromJsonAsync<Post>(cancellationToken))!.Id),
                WriteKind.Profile => new Written(kind, ProfileName: ProfileName(n)),
                _ => new Written(kind, ProductId: n),
            };
            return null;
        }, think: null, cancellationToken);
    }

    /// <summary>
    /// Reads back the data of the last write; stale when it does not show that write. <paramref name="strong"/> asks
    /// for the primary (<c>?consistency=strong</c>), which the API honours in every mode.
    /// </summary>
    public Task<Sample> ReadOwnAsync(TimeSpan think, CancellationToken cancellationToken, bool strong = false)
    {
        var last = _last ?? throw new InvalidOperationException("read-back before any successful write");
        var query = strong ? "?consistency=strong" : "";
        return last.Kind switch
        {
            WriteKind.Post => SendAsync(RequestKind.OwnRead, HttpMethod.Get, "/api/posts" + query, null, async response =>
                (await response.Content.ReadFromJsonAsync<List<Post>>(cancellationToken))!.Any(p => p.Id == last.PostId), think, cancellationToken),
            WriteKind.Profile => SendAsync(RequestKind.OwnRead, HttpMethod.Get, $"/api/profile/{userId}{query}", null, async response =>
                response.StatusCode == HttpStatusCode.OK
                && (await response.Content.ReadFromJsonAsync<Profile>(cancellationToken))!.Name == last.ProfileName, think, cancellationToken, notFoundIsAnswer: true),
            _ => SendAsync(RequestKind.OwnRead, HttpMethod.Get, "/api/cart" + query, null, async response =>
                (await response.Content.ReadFromJsonAsync<Cart>(cancellationToken))!.Items.Any(i => i.ProductId == last.ProductId), think, cancellationToken),
        };
    }

    /// <summary>Reads another user's posts or profile; any answer (a profile not yet written is a 404) is fine.</summary>
    public Task<Sample> ReadForeignAsync(long otherUserId, ForeignKind kind, CancellationToken cancellationToken) =>
        SendAsync(RequestKind.ForeignRead, HttpMethod.Get,
            kind == ForeignKind.Posts ? $"/api/users/{otherUserId}/posts" : $"/api/profile/{otherUserId}",
            null, async response =>
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                return null;
            }, think: null, cancellationToken, notFoundIsAnswer: true);

    private string ProfileName(int n) => $"user {userId} v{n}";

    private async Task<Sample> SendAsync(
        RequestKind kind,
        HttpMethod method,
        string path,
        object? body,
        Func<HttpResponseMessage, Task<bool?>> check,
        TimeSpan? think,
        CancellationToken cancellationToken,
        bool notFoundIsAnswer = false)
    {
        var at = clock();
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = _auth;
            if (body is not null)
            {
                request.Content = JsonContent.Create(body);
            }

            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode && !(notFoundIsAnswer && response.StatusCode == HttpStatusCode.NotFound))
            {
                return new Sample(kind, false, at, Stopwatch.GetElapsedTime(started).TotalMilliseconds, Think: think,
                    Error: $"{(int)response.StatusCode} {method} {Route(path)}");
            }

            var fresh = await check(response);
            return new Sample(kind, true, at, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                Header(response, "X-Read-Source"), Header(response, "X-Consistency-Reason"), fresh, think);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            return new Sample(kind, false, at, Stopwatch.GetElapsedTime(started).TotalMilliseconds, Think: think,
                Error: $"{ex.GetType().Name} {method} {Route(path)}");
        }
    }

    // Error keys group by endpoint, not by user.
    private static string Route(string path) => string.Join('/', path.Split('/').Select(part => part.All(char.IsAsciiDigit) && part.Length > 0 ? "{id}" : part));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
