using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Failover;

/// <summary>
/// Signed-in users who write a post and read their posts back in a loop, and anonymous readers of their posts, through
/// a failover. Records every acknowledged write, every read (when it started, where it ran) and every error, on one
/// clock, so the drill can say what happened before and after each step. Posts are told apart by their content, unique
/// per write: after a failover the new primary hands out again the ids of commits it never received.
/// </summary>
public sealed class FailoverWorkload
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentBag<(string Content, long Id, TimeSpan At)> _acknowledged = [];
    private readonly ConcurrentBag<ReadRecord> _reads = [];
    private readonly ConcurrentBag<(string Kind, TimeSpan At, bool RetryAfter)> _errors = [];
    private readonly ConcurrentBag<long> _writers = [];

    /// <summary>One read: when it started, where it ran and why, and for an own read after a write, the post if it was missing.</summary>
    public sealed record ReadRecord(TimeSpan StartedAt, string Source, string Reason, bool Own, string? MissingPost);

    public TimeSpan Now => _clock.Elapsed;
    public IReadOnlyCollection<(string Content, long Id, TimeSpan At)> Acknowledged => _acknowledged;
    public IReadOnlyCollection<ReadRecord> Reads => _reads;
    public IReadOnlyCollection<(string Kind, TimeSpan At, bool RetryAfter)> Errors => _errors;

    public Task RunAsync(Func<HttpClient> createClient, int writers, int anonymousReaders, CancellationToken stop)
    {
        var baseId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
        var loops = Enumerable.Range(0, writers).Select(i => WriterAsync(createClient(), baseId + i, stop))
            .Concat(Enumerable.Range(0, anonymousReaders).Select(_ => AnonymousReaderAsync(createClient(), stop)));
        return Task.WhenAll(loops);
    }

    private async Task WriterAsync(HttpClient http, long userId, CancellationToken stop)
    {
        using var _ = http;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await new ApiClient(http).TokenForAsync(userId));
        _writers.Add(userId);
        while (!stop.IsCancellationRequested)
        {
            var content = $"failover drill {Guid.NewGuid():N}";
            using var write = await http.PostAsJsonAsync("/api/posts", new { content }, CancellationToken.None);
            if (write.StatusCode != HttpStatusCode.Created)
            {
                Error("POST", write);
                await Task.Delay(100, CancellationToken.None);
                continue;
            }

            var post = (await write.Content.ReadFromJsonAsync<ApiClient.Post>())!;
            _acknowledged.Add((content, post.Id, Now));
            var startedAt = Now;
            using var read = await http.GetAsync("/api/posts", CancellationToken.None);
            if (read.StatusCode != HttpStatusCode.OK)
            {
                Error("GET", read);
                await Task.Delay(100, CancellationToken.None);
                continue;
            }

            var posts = (await read.Content.ReadFromJsonAsync<List<ApiClient.Post>>())!;
            _reads.Add(new ReadRecord(startedAt, Header(read, "X-Read-Source"), Header(read, "X-Consistency-Reason"), Own: true,
                posts.Any(p => p.Content == content) ? null : content));
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private async Task AnonymousReaderAsync(HttpClient http, CancellationToken stop)
    {
        using var _ = http;
        while (!stop.IsCancellationRequested)
        {
            var writers = _writers.ToArray();
            if (writers.Length == 0)
            {
                await Task.Delay(50, CancellationToken.None);
                continue;
            }

            var startedAt = Now;
            using var read = await http.GetAsync($"/api/users/{writers[Random.Shared.Next(writers.Length)]}/posts", CancellationToken.None);
            if (read.StatusCode != HttpStatusCode.OK)
            {
                Error("GET anonymous", read);
                await Task.Delay(100, CancellationToken.None);
                continue;
            }

            _reads.Add(new ReadRecord(startedAt, Header(read, "X-Read-Source"), Header(read, "X-Consistency-Reason"), Own: false, null));
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private void Error(string method, HttpResponseMessage response) =>
        _errors.Add(($"{method} {(int)response.StatusCode}", Now, response.Headers.RetryAfter is not null));

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : "?";
}
