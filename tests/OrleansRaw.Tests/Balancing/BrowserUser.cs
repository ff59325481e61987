using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Balancing;

/// <summary>
/// One signed-in user driven as a browser drives them, through one address: two tabs, each posting and at once
/// listing the user's posts. One tab keeps the consistency token of every response, as it would a cookie, and sends
/// it on its reads; the other sends none and relies on the user's grain. Every request is recorded.
/// </summary>
public sealed class BrowserUser(Uri address, long userId, string bearer)
{
    public const string CookieTab = "token";
    public const string TokenlessTab = "no-token";

    /// <summary>
    /// One request: its <c>X-Request-Id</c>, when it started and ended (<see cref="Stopwatch"/> timestamps), its status
    /// (0: no HTTP answer at all, and why), the API server that answered (the balancer's <c>X-Api-Server</c>), and for
    /// a read where it ran and whether it missed the post its tab had just written.
    /// </summary>
    public sealed record Request(string Id, string Tab, bool Write, long Started, long Ended, int Status, string? Server, string? Source, bool Stale, string? Error = null)
    {
        public bool Failed => Status is 0 or >= 500;
    }

    public long UserId => userId;

    public static async Task<BrowserUser> SignInAsync(Uri address, long userId)
    {
        using var http = new HttpClient { BaseAddress = address };
        var bearer = await new ApiClient(http).TokenForAsync(userId);
        return new BrowserUser(address, userId, bearer);
    }

    /// <summary>Both tabs, each one request at a time, until <paramref name="stop"/> or <paramref name="maxRequests"/> in all.</summary>
    public async Task<IReadOnlyList<Request>> RunAsync(int maxRequests, CancellationToken stop)
    {
        var requests = new List<Request>();
        await Task.WhenAll(RunTabAsync(CookieTab, requests, maxRequests, stop), RunTabAsync(TokenlessTab, requests, maxRequests, stop));
        return requests;
    }

    private async Task RunTabAsync(string tab, List<Request> requests, int maxRequests, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        string? cookie = null;
        var round = 0;
        while (!stop.IsCancellationRequested && Count(requests) < maxRequests)
        {
            using var post = new HttpRequestMessage(HttpMethod.Post, "/api/posts") { Content = JsonContent.Create(new { content = $"{tab} {round++}" }) };
            post.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            var (write, written) = await SendAsync(http, post, tab, write: true, expectedPostId: null);
            Add(requests, write);
            cookie = written.Token ?? cookie;
            if (written.PostId is not { } postId)
            {
                continue;
            }

            using var get = new HttpRequestMessage(HttpMethod.Get, "/api/posts");
            if (tab == CookieTab && cookie is not null)
            {
                get.Headers.Add("X-Consistency-Token", cookie);
            }

            var (read, answer) = await SendAsync(http, get, tab, write: false, expectedPostId: postId);
            Add(requests, read);
            cookie = answer.Token ?? cookie;
        }
    }

    private static async Task<(Request Request, (long? PostId, string? Token) Answer)> SendAsync(
        HttpClient http, HttpRequestMessage message, string tab, bool write, long? expectedPostId)
    {
        var id = Guid.NewGuid().ToString("N");
        message.Headers.Add("X-Request-Id", id);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(message);
            var status = (int)response.StatusCode;
            var server = Header(response, "X-Api-Server");
            var token = Header(response, "X-Consistency-Token");
            long? postId = null;
            var stale = false;
            if (response.IsSuccessStatusCode && write)
            {
                postId = (await response.Content.ReadFromJsonAsync<ApiClient.Post>())!.Id;
            }
            else if (response.IsSuccessStatusCode)
            {
                var posts = (await response.Content.ReadFromJsonAsync<List<ApiClient.Post>>())!;
                stale = !posts.Any(p => p.Id == expectedPostId);
            }

            var request = new Request(id, tab, write, started, Stopwatch.GetTimestamp(), status, server, Header(response, "X-Read-Source"), stale);
            return (request, (postId, token));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return (new Request(id, tab, write, started, Stopwatch.GetTimestamp(), 0, null, null, false, ex.InnerException?.Message ?? ex.Message), (null, null));
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    private static int Count(List<Request> requests)
    {
        lock (requests)
        {
            return requests.Count;
        }
    }

    private static void Add(List<Request> requests, Request request)
    {
        lock (requests)
        {
            requests.Add(request);
        }
    }
}
