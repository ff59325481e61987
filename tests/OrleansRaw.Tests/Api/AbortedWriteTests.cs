using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// A client that hangs up mid-write (a phone entering a tunnel) must not make a committed write vanish from its next
/// read: once the transaction may have committed, recording it finishes on its own deadline, not the request's.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AbortedWriteTests(SystemFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task WritesAbortedByTheClient_AtRandomPoints_AreNeverMissingFromTheNextOwnRead_UnderTwoSecondsOfLag()
    {
        // 20 users, 5 rounds each. A round starts once the user's previous write is 2.3 s old (replayed everywhere, so
        // a read that knew only of it would go to a replica), sends a post on a fresh connection and hangs up 0–6 ms
        // later — before, during or after the commit — then comes back 200 ms later and lists its posts.
        const int users = 20, rounds = 5;
        await using var api = LoopbackApi.Start(fixture.Default);
        var (aborted, abortedButCommitted, missing) = (0, 0, 0);
        var reasons = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        await fixture.Db.SetLagAsync(TimeSpan.FromSeconds(2));
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, users), new ParallelOptions { MaxDegreeOfParallelism = users }, async (_, _) =>
            {
                var userId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
                using var reader = await ApiClient.At(api.BaseAddress).SignInAsync(userId);
                var token = await reader.TokenForAsync(userId);
                await reader.CreatePostAsync("before the tunnel");
                var committed = 1;
                for (var round = 0; round < rounds; round++)
                {
                    await Task.Delay(2300);
                    var wasAborted = false;
                    // Raw HTTP: a fresh connection per write, hung up on a timer, with nothing between the timer and the socket.
                    using (var writer = new HttpClient { BaseAddress = api.BaseAddress })
                    {
                        writer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                        using var hangUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(Random.Shared.Next(0, 7)));
                        try
                        {
                            using var response = await writer.PostAsJsonAsync("/api/posts", new { content = $"tunnel {round}" }, hangUp.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            Interlocked.Increment(ref aborted);
                            wasAborted = true;
                        }
                    }

                    await Task.Delay(200);
                    var read = await reader.GetPostsAsync();
                    reasons.AddOrUpdate(read.Reason, 1, (_, n) => n + 1);
                    var onPrimary = await CommittedPostsAsync(userId);
                    if (wasAborted && onPrimary.Count > committed)
                    {
                        Interlocked.Increment(ref abortedButCommitted);
                    }

                    committed = onPrimary.Count;
                    var shown = read.Body.Select(p => p.Id).ToHashSet();
                    Interlocked.Add(ref missing, onPrimary.Count(id => !shown.Contains(id)));
                }
            });
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }

        output.WriteLine($"{users * rounds} writes, {aborted} aborted by the client ({abortedButCommitted} of them committed); "
            + $"committed posts missing from the next own read: {missing}; read reasons: {string.Join(", ", reasons.Select(r => $"{r.Key}={r.Value}"))}");
        Assert.True(abortedButCommitted > 0, "no write the client abandoned had committed: the test never hung up after a commit");
        Assert.Equal(0, missing);
    }

    private async Task<List<long>> CommittedPostsAsync(long userId)
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        return (await connection.QueryAsync<long>(
            "SELECT id FROM posts WHERE user_id = @userId ORDER BY created_at DESC, id DESC LIMIT 100", new { userId })).AsList();
    }
}
