using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
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

    public async Task RunAsync(Func<HttpClient> createClient, int users, CancellationToken stop)
    {
        var baseId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
        await Task.WhenAll(Enumerable.Range(0, users).Select(i => UserLoopAsync(createClient(), baseId + i, stop)));
    }

    private async Task UserLoopAsync(HttpClient http, long userId, CancellationToken stop)
    {
        using var _ = http;
        using (var tokenResponse = await http.PostAsJsonAsync("/api/auth/dev-token", new { userId }))
        {
            tokenResponse.EnsureSuccessStatusCode();
            var token = (await tokenResponse.Content.ReadFromJsonAsync<ApiClient.TokenResponse>())!.Token;
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        while (!stop.IsCancellationRequested)
        {
            using var write = await http.PostAsJsonAsync("/api/posts", new { content = "fault drill" });
            if (write.StatusCode != HttpStatusCode.Created)
            {
                Error("POST", write);
                await Task.Delay(200);
                continue;
            }

            var post = (await write.Content.ReadFromJsonAsync<ApiClient.Post>())!;
            _acknowledged.Add(post.Id);
            using var read = await http.GetAsync("/api/posts");
            if (read.StatusCode != HttpStatusCode.OK)
            {
                Error("GET", read);
                await Task.Delay(200);
                continue;
            }

            var posts = (await read.Content.ReadFromJsonAsync<List<ApiClient.Post>>())!;
            if (!posts.Any(p => p.Id == post.Id))
            {
                Interlocked.Increment(ref _stale);
            }

            Interlocked.Increment(ref _pairs);
            await Task.Delay(20);
        }
    }

    private void Error(string method, HttpResponseMessage response)
    {
        _errors.AddOrUpdate($"{method} {(int)response.StatusCode}", 1, (_, n) => n + 1);
        _errorTimes.Add(_clock.Elapsed);
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is null)
        {
            Interlocked.Increment(ref _errorsWithoutRetryAfter);
        }
    }
}
