using OrleansRaw.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Cluster;

/// <summary>
/// Redis holds the cluster's membership and nothing per user: users who write through the API leave no key and no
/// byte behind in it, however many they are and however long ago they wrote.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class RedisFootprintTests(ITestOutputHelper output)
{
    private const int Users = 300;

    [Fact]
    public async Task UsersWhoWrite_LeaveNothingInRedis_OnlyTheClustersMembershipIsThere()
    {
        await using var cluster = await MultiProcessCluster.StartAsync(silos: 1);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestServices.Redis);
        var serviceId = cluster.Settings["Orleans:ServiceId"]!;
        using var warm = await cluster.CreateClient().SignInAsync(TestUsers.NewId());
        await warm.CreatePostAsync("the cluster is up and serving writes");
        var before = await KeysAsync(redis);

        var first = TestUsers.NewId();
        await Parallel.ForEachAsync(Enumerable.Range(0, Users), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            using var client = await cluster.CreateClient().SignInAsync(first + i);
            await client.CreatePostAsync($"user {i} writes once");
        });
        var after = await KeysAsync(redis);

        // Every key of the test Redis counts (other tests' clusters have theirs; none appears or goes meanwhile).
        var ours = (Dictionary<string, long> keys) => keys.Where(k => k.Key.StartsWith(serviceId + "/", StringComparison.Ordinal)).ToDictionary();
        output.WriteLine($"this cluster's keys before {Users} users wrote once each: {Describe(ours(before))}; after: {Describe(ours(after))}; "
            + $"the whole Redis: {before.Count} keys before, {after.Count} after");
        Assert.Empty(after.Keys.Except(before.Keys));
        Assert.All(ours(after).Keys, key => Assert.StartsWith($"{serviceId}/members/", key));
        // The membership hash changes size only with silos' heartbeats (a timestamp's digits), not with users.
        Assert.InRange(ours(after).Values.Sum() - ours(before).Values.Sum(), -256, 256);
    }

    // Every key with its MEMORY USAGE in bytes.
    private static async Task<Dictionary<string, long>> KeysAsync(ConnectionMultiplexer redis)
    {
        var server = redis.GetServers().Single();
        var db = redis.GetDatabase();
        var keys = new Dictionary<string, long>();
        await foreach (var key in server.KeysAsync(pattern: "*"))
        {
            keys[key!] = (long)await db.ExecuteAsync("MEMORY", "USAGE", key.ToString());
        }

        return keys;
    }

    private static string Describe(Dictionary<string, long> keys) =>
        $"{keys.Count} key(s), {keys.Values.Sum()} bytes ({string.Join(", ", keys.Select(k => $"{k.Key}: {k.Value} B"))})";
}
