using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Faults;

/// <summary>
/// Users writing and reading their own posts back in a loop while a fault is injected; counts what a user would
/// notice: stale reads, error responses (and whether they said when to retry) and acknowledged writes that vanished.
/// </summary>
public sealed class FaultWorkload
{
    private readonly ConcurrentBag<long> _acknowledged = [];
    private readonly ConcurrentDictionary<string, int> _errors = new();
    private readonly ConcurrentBag<TimeSpan> _errorTimes = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _stale;
    private int _pairs;
    private int _errorsWithoutRetryAfter;

    public IReadOnlyCollection<long> Acknowledged => _acknowledged;
    public int Stale => _stale;
    public int Pairs => _pairs;
    public IReadOnlyDictionary<string, int> Errors => _errors;
    public int ErrorsWithoutRetryAfter => _errorsWithoutRetryAfter;
    public TimeSpan Elapsed => _clock.Elapsed;
    public TimeSpan? LastErrorAt => _errorTimes.IsEmpty ? null : _errorTimes.Max();
    public TimeSpan? FirstErrorAt => _errorTimes.IsEmpty ? null : _errorTimes.Min();

    public async Task RunAsync(Func<ApiClient> createClient, int users, CancellationToken stop)
    {
        var baseId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
        await Task.WhenAll(Enumerable.Range(0, users).Select(i => UserLoopAsync(createClient(), baseId + i, stop)));
    }

    private async Task UserLoopAsync(ApiClient client, long userId, CancellationToken stop)
    {
        using var _ = client;
        await client.SignInAsync(userId);
        while (!stop.IsCancellationRequested)
        {
            var write = await ApiClient.AnswerAsync(client.CreatePostAsync("fault drill"));
            if (write.Status != HttpStatusCode.Created)
            {
                Error("POST", write);
                await Task.Delay(200);
                continue;
            }

            var post = write.Result!.Body;
            _acknowledged.Add(post.Id);
            var read = await ApiClient.AnswerAsync(client.GetPostsAsync());
            if (read.Status != HttpStatusCode.OK)
            {
                Error("GET", read);
                await Task.Delay(200);
                continue;
            }

            if (!read.Result!.Body.Any(p => p.Id == post.Id))
            {
                Interlocked.Increment(ref _stale);
            }

            Interlocked.Increment(ref _pairs);
            await Task.Delay(20);
        }
    }

    private void Error<T>(string method, Answer<T> answer) where T : class, IAnswer
    {
        _errors.AddOrUpdate($"{method} {(int)answer.Status}", 1, (_, n) => n + 1);
        _errorTimes.Add(_clock.Elapsed);
        if (answer.Status == HttpStatusCode.ServiceUnavailable && answer.RetryAfter is null)
        {
            Interlocked.Increment(ref _errorsWithoutRetryAfter);
        }
    }
}
