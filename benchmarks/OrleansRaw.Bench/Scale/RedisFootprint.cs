using System.Globalization;
using OrleansRaw.Bench.Workload;
using StackExchange.Redis;

namespace OrleansRaw.Bench.Scale;

/// <summary>Redis at one moment: its keys, what they take (<c>MEMORY USAGE</c>, summed) and the server's <c>used_memory</c>.</summary>
public sealed record RedisSnapshot(int Keys, long KeyBytes, long UsedMemory);

/// <summary>What <see cref="RedisFootprint"/> measured.</summary>
public sealed record RedisFootprintResult(int Users, int Wrote, RedisSnapshot Before, RedisSnapshot After, double Seconds)
{
    public double KeyBytesPerUser => Wrote == 0 ? 0 : (double)(After.KeyBytes - Before.KeyBytes) / Wrote;

    public override string ToString() =>
        $"{Wrote:N0} of {Users:N0} users wrote once each in {Seconds:F1} s: Redis keys {Before.Keys} → {After.Keys}, their bytes {Before.KeyBytes:N0} → {After.KeyBytes:N0} "
        + $"({KeyBytesPerUser:F1} per user), used_memory {Before.UsedMemory:N0} → {After.UsedMemory:N0}";
}

/// <summary>
/// Redis per user: many users each sign in and write once through the API, and Redis is read before and after —
/// every key (<c>SCAN</c>) with its <c>MEMORY USAGE</c>, and <c>INFO memory</c>.
/// </summary>
public static class RedisFootprint
{
    public static async Task<RedisFootprintResult> MeasureAsync(ApiTarget api, string redis, long firstUserId, int users, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis + ",allowAdmin=true");
        var before = await SnapshotAsync(connection);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var wrote = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, users), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var user = new BenchUser(api, firstUserId + i, () => clock.Elapsed);
            await user.SignInAsync(ct);
            if ((await user.WriteAsync(WriteKind.Post, ct)).Ok)
            {
                Interlocked.Increment(ref wrote);
            }
        });
        var seconds = clock.Elapsed.TotalSeconds;
        var after = await SnapshotAsync(connection);
        return new RedisFootprintResult(users, wrote, before, after, seconds);
    }

    private static async Task<RedisSnapshot> SnapshotAsync(ConnectionMultiplexer connection)
    {
        var server = connection.GetServers().Single();
        var db = connection.GetDatabase();
        int keys = 0;
        long bytes = 0;
        await foreach (var key in server.KeysAsync(pattern: "*"))
        {
            keys++;
            bytes += (long)await db.ExecuteAsync("MEMORY", "USAGE", key.ToString());
        }

        var info = await server.InfoRawAsync("memory");
        var used = (info ?? "").Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("used_memory:", StringComparison.Ordinal))["used_memory:".Length..];
        return new RedisSnapshot(keys, bytes, long.Parse(used, CultureInfo.InvariantCulture));
    }
}
