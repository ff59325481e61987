using System.Diagnostics;
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
        using var client = ApiClient.At(address);
        return new BrowserUser(address, userId, await client.TokenForAsync(userId));
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
        using var client = ApiClient.At(address, TimeSpan.FromSeconds(30));
        client.SignInAs(bearer);
        string? cookie = null;
        var round = 0;
        while (!stop.IsCancellationRequested && Count(requests) < maxRequests)
        {
            var content = $"{tab} {round++}";
            var key = Guid.NewGuid().ToString("N");
            var (write, written) = await SendAsync(tab, write: true, id => client.CreatePostAsync(content, key, id), post => (post.Body.Id, false));
            Add(requests, write);
            cookie = written.Token ?? cookie;
            if (written.PostId is not { } postId)
            {
                continue;
            }

            var token = tab == CookieTab ? cookie : null;
            var (read, answer) = await SendAsync(tab, write: false, id => client.GetPostsAsync(token, headers: id),
                posts => (null, !posts.Body.Any(p => p.Id == postId)));
            Add(requests, read);
            cookie = answer.Token ?? cookie;
        }
    }

    // One request with its X-Request-Id, recorded as it went: the answer's status and headers, or why there was none.
    private static async Task<(Request Request, (long? PostId, string? Token) Answer)> SendAsync<T>(
        string tab, bool write, Func<Dictionary<string, string>, Task<T>> send, Func<T, (long? PostId, bool Stale)> look) where T : class, IAnswer
    {
        var id = Guid.NewGuid().ToString("N");
        var started = Stopwatch.GetTimestamp();
        try
        {
            var answer = await ApiClient.AnswerAsync(send(new() { ["X-Request-Id"] = id }));
            var (postId, stale) = answer.Result is { } result ? look(result) : (null, false);
            var request = new Request(id, tab, write, started, Stopwatch.GetTimestamp(), (int)answer.Status, answer.Header("X-Api-Server"),
                answer.Header("X-Read-Source"), stale);
            return (request, (postId, answer.Header("X-Consistency-Token")));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return (new Request(id, tab, write, started, Stopwatch.GetTimestamp(), 0, null, null, false, ex.InnerException?.Message ?? ex.Message), (null, null));
        }
    }

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
