using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Npgsql;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// The bulkhead: strong reads run on a small primary pool of their own, so 200 of them at once — each held up on the
/// primary, as a slow query would be — never take the connections a write needs. Without it (one shared pool of 10)
/// the same burst makes the write wait for the whole burst.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class BulkheadTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const int StrongReads = 200;
    private const int Readers = 10;
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(3);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ConcurrentStrongReads_DoNotMakeAWriteWaitOrFail_WithTheBulkhead(bool bulkhead)
    {
        var settings = Deployment.BaseSettings(new Dictionary<string, string?>
        {
            ["Database:CriticalReadConnections"] = "4",
            ["Database:CriticalReadQueueTimeout"] = "00:00:00.500",
            ["Database:IsolateCriticalReads"] = bulkhead ? "true" : "false",
            // Longer than the hold, so the held reads finish instead of timing out: this test is about the pool.
            ["Database:CommandTimeout"] = "00:00:10",
            ["Database:ConnectTimeout"] = "00:00:05",
        });
        settings["Database:Primary"] = settings["Database:Primary"]!.Replace("Maximum Pool Size=60", "Maximum Pool Size=10", StringComparison.Ordinal);
        await using var api = new Deployment.ApiFactory(fixture.Default.Cluster.Client, settings);
        var readers = new List<ApiClient>();
        for (var i = 0; i < Readers; i++)
        {
            var reader = await ApiClient.For(api).SignInAsync(TestUsers.NewId());
            await reader.PutProfileAsync("reader " + i, "");
            readers.Add(reader);
        }

        using var writer = await ApiClient.For(api).SignInAsync(TestUsers.NewId());
        await writer.CreatePostAsync("warm-up"); // the writer's grain is active, the pool has connections

        // Every strong read (a profile read) blocks on the primary while this lock is held, holding its connection,
        // as a slow query would; the write (posts) does not touch the locked table.
        await using var locker = await fixture.Db.Primary.OpenConnectionAsync();
        await using var lockTx = await locker.BeginTransactionAsync();
        await using (var lockUsers = new NpgsqlCommand("LOCK TABLE users IN ACCESS EXCLUSIVE MODE", locker, lockTx))
        {
            await lockUsers.ExecuteNonQueryAsync();
        }

        var statuses = new ConcurrentDictionary<string, int>();
        var withoutRetryAfter = 0;
        var reads = Enumerable.Range(0, StrongReads).Select(async i =>
        {
            var reader = readers[i % Readers];
            var answer = await ApiClient.AnswerAsync(reader.GetProfileAsync(reader.UserId!.Value, strong: StrongRead.Query));
            statuses.AddOrUpdate(((int)answer.Status).ToString(), 1, (_, n) => n + 1);
            if (answer.Status == HttpStatusCode.ServiceUnavailable && answer.RetryAfter is null)
            {
                Interlocked.Increment(ref withoutRetryAfter);
            }
        }).ToList();

        var writes = new List<(TimeSpan Took, HttpStatusCode Status)>();
        var release = Task.Delay(Hold).ContinueWith(_ => lockTx.RollbackAsync()).Unwrap();
        try
        {
            await Task.Delay(300); // the burst has taken whatever connections it can
            var until = Stopwatch.StartNew();
            while (until.Elapsed < Hold)
            {
                var took = Stopwatch.StartNew();
                var answer = await ApiClient.AnswerAsync(writer.CreatePostAsync("during the burst"));
                writes.Add((took.Elapsed, answer.Status));
                await Task.Delay(50);
            }
        }
        finally
        {
            await release;
        }

        await Task.WhenAll(reads);
        var p99 = Percentile(writes.Select(w => w.Took), 0.99);
        var failed = writes.Count(w => w.Status != HttpStatusCode.Created);
        output.WriteLine($"bulkhead {(bulkhead ? "on" : "off")}: {writes.Count} writes during {StrongReads} strong reads held {Hold.TotalSeconds} s on the primary; "
            + $"write p50 {Percentile(writes.Select(w => w.Took), 0.5).TotalMilliseconds:F0} ms, p99 {p99.TotalMilliseconds:F0} ms, "
            + $"max {writes.Max(w => w.Took).TotalMilliseconds:F0} ms, {failed} failed; strong reads: "
            + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));

        Assert.Equal(StrongReads, statuses.Values.Sum());
        Assert.All(statuses.Keys, status => Assert.Contains(status, new[] { "200", "503" }));
        Assert.Equal(0, withoutRetryAfter);
        if (bulkhead)
        {
            Assert.Equal(0, failed);
            Assert.True(p99 < TimeSpan.FromMilliseconds(500), $"write p99 {p99.TotalMilliseconds:F0} ms with the bulkhead");
            Assert.True(writes.Count >= 10, $"only {writes.Count} writes in {Hold.TotalSeconds} s");
        }
        else
        {
            // The control: without the bulkhead the same burst holds the write up for most of the hold, or fails it.
            Assert.True(failed > 0 || writes.Max(w => w.Took) > TimeSpan.FromSeconds(1),
                $"without the bulkhead the write was not held up (max {writes.Max(w => w.Took).TotalMilliseconds:F0} ms): the test proves nothing");
        }
    }

    private static TimeSpan Percentile(IEnumerable<TimeSpan> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }
}
