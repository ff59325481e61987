using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
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

    public Task RunAsync(Func<ApiClient> createClient, int writers, int anonymousReaders, CancellationToken stop)
    {
        var baseId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
        var loops = Enumerable.Range(0, writers).Select(i => WriterAsync(createClient(), baseId + i, stop))
            .Concat(Enumerable.Range(0, anonymousReaders).Select(_ => AnonymousReaderAsync(createClient(), stop)));
        return Task.WhenAll(loops);
    }

    private async Task WriterAsync(ApiClient client, long userId, CancellationToken stop)
    {
        using var _ = client;
        await client.SignInAsync(userId);
        _writers.Add(userId);
        while (!stop.IsCancellationRequested)
        {
            var content = $"failover drill {Guid.NewGuid():N}";
            var write = await ApiClient.AnswerAsync(client.CreatePostAsync(content));
            if (write.Status != HttpStatusCode.Created)
            {
                Error("POST", write);
                await Task.Delay(100, CancellationToken.None);
                continue;
            }

            _acknowledged.Add((content, write.Result!.Body.Id, Now));
            var startedAt = Now;
            var read = await ApiClient.AnswerAsync(client.GetPostsAsync());
            if (read.Status != HttpStatusCode.OK)
            {
                Error("GET", read);
                await Task.Delay(100, CancellationToken.None);
                continue;
            }

            _reads.Add(new ReadRecord(startedAt, read.Header("X-Read-Source") ?? "?", read.Header("X-Consistency-Reason") ?? "?", Own: true,
                read.Result!.Body.Any(p => p.Content == content) ? null : content));
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private async Task AnonymousReaderAsync(ApiClient client, CancellationToken stop)
    {
        using var _ = client;
        while (!stop.IsCancellationRequested)
        {
            var writers = _writers.ToArray();
            if (writers.Length == 0)
            {
                await Task.Delay(50, CancellationToken.None);
                continue;
            }

            var startedAt = Now;
            var read = await ApiClient.AnswerAsync(client.GetUserPostsAsync(writers[Random.Shared.Next(writers.Length)]));
            if (read.Status != HttpStatusCode.OK)
            {
                Error("GET anonymous", read);
                await Task.Delay(100, CancellationToken.None);
                continue;
            }

            _reads.Add(new ReadRecord(startedAt, read.Header("X-Read-Source") ?? "?", read.Header("X-Consistency-Reason") ?? "?", Own: false, null));
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private void Error<T>(string method, Answer<T> answer) where T : class, IAnswer =>
        _errors.Add(($"{method} {(int)answer.Status}", Now, answer.RetryAfter is not null));
}
