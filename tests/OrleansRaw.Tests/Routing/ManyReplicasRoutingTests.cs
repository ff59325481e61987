using System.Collections.Concurrent;
using Dapper;
using Npgsql;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Routing;

/// <summary>
/// Routing over four replicas of unequal lag — 0, 50 ms, 300 ms and 2 s of <c>recovery_min_apply_delay</c> — on a
/// service set of its own (PostgreSQL on 127.0.0.1:27832–27836, Redis on 27879, data in .data/replicas-27832), started
/// through <c>scripts/services</c> with four replicas. Users post and read their posts back at once; then read them again
/// while only the 2 s replica is still behind, and once more when every replica has replayed everything.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ManyReplicasRoutingTests(ManyReplicasRoutingTests.FourReplicas services, ITestOutputHelper output)
    : IClassFixture<ManyReplicasRoutingTests.FourReplicas>
{
    private const int Users = 16;
    private const int PostsPerUser = 25;
    private const int ReadsPerUser = 25;

    [Fact]
    public async Task FourReplicasOfUnequalLag_OwnReadsGoToReplicasThatHaveTheWrite_SpreadAmongThem_NeverStale()
    {
        await using var deployment = await StartAsync();
        var users = await SignInAsync(deployment);
        try
        {
            var afterWrites = await WriteThenReadAsync(users);
            output.WriteLine($"Lsn mode, read right after each write: {afterWrites}");
            Assert.Equal(0, afterWrites.Stale);
            // The 0 ms replica has the write first: the router finds it rather than giving up to the primary, and seldom
            // sends a read to a replica that turns out not to have the write yet (a guard fallback, then the primary).
            Assert.True(afterWrites.Share("replica:replica-1") > 0.5, "the replica that replays at once served too few of the reads");
            Assert.True(afterWrites.WithReason(RoutingReasons.GuardFallback) < afterWrites.Count / 20, "too many reads went to a replica without the write");

            // From 0.5 s to 1.7 s after the last write the 0, 50 and 300 ms replicas have every write and the 2 s one has
            // not: the reads spread over the three and none goes to the fourth.
            var written = DateTime.UtcNow;
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var threeLevel = await ReadAgainAsync(users, until: written.AddMilliseconds(1700));
            output.WriteLine($"Lsn mode, reads 0.5-1.7 s after the last write: {threeLevel}");
            Assert.Equal(0, threeLevel.Stale);
            Assert.True(threeLevel.Count >= 100, $"only {threeLevel.Count} reads in 1.2 s");
            Assert.Equal(0, threeLevel.Served("replica:replica-4"));
            foreach (var name in new[] { "replica-1", "replica-2", "replica-3" })
            {
                Assert.True(threeLevel.Share("replica:" + name) >= 0.1, $"{name} served {threeLevel.Share("replica:" + name):P0} of the reads among three level replicas");
            }

            // Once all four have replayed everything they are level, the 2 s one included: the reads spread over the four.
            await deployment.WaitForMonitorToSeeReplayAsync(await services.CurrentLsnAsync());
            var level = await ReadAgainAsync(users, reads: ReadsPerUser);
            output.WriteLine($"Lsn mode, reads once every replica replayed the writes: {level}");
            Assert.Equal(0, level.Stale);
            foreach (var (name, _) in services.Set.Replicas)
            {
                Assert.True(level.Share("replica:" + name) >= 0.1, $"{name} served {level.Share("replica:" + name):P0} of the reads among four level replicas");
            }
        }
        finally
        {
            users.ForEach(user => user.Client.Dispose());
        }
    }

    [Fact]
    public async Task FourReplicasOfUnequalLag_TheNaiveRoute_ServesStaleOwnReads_FromTheLaggingReplicas()
    {
        // The same reads sent to any healthy replica unchecked (Consistency:Mode=Eventual): the lags are real.
        await using var deployment = await StartAsync(new Dictionary<string, string?> { ["Consistency:Mode"] = "Eventual" });
        var users = await SignInAsync(deployment);
        try
        {
            var afterWrites = await WriteThenReadAsync(users);
            output.WriteLine($"Eventual mode, read right after each write: {afterWrites}");
            Assert.True(afterWrites.Stale > 0, "the naive route served no stale read: the lag was not real");
            foreach (var name in new[] { "replica-2", "replica-3", "replica-4" })
            {
                Assert.True(afterWrites.StaleFrom("replica:" + name) > 0, $"{name} served no stale read: its lag was not real");
            }
        }
        finally
        {
            users.ForEach(user => user.Client.Dispose());
        }
    }

    private sealed record User(ApiClient Client, List<long> Posts);

    private async Task<Deployment> StartAsync(IDictionary<string, string?>? overrides = null)
    {
        var deployment = await Deployment.StartAsync(silos: 1, overrides, services.Set);
        try
        {
            // The API applies the schema as it starts: a replica that has not replayed it yet has no tables to read.
            await deployment.WaitForMonitorToSeeReplayAsync(await services.CurrentLsnAsync());
            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
    }

    private static async Task<List<User>> SignInAsync(Deployment deployment)
    {
        var users = new List<User>();
        for (var i = 0; i < Users; i++)
        {
            users.Add(new User(await deployment.CreateClient().SignInAsync(TestUsers.NewId()), []));
        }

        return users;
    }

    // Each user posts, then lists their posts at once: the new post must be there.
    private static async Task<Reads> WriteThenReadAsync(List<User> users)
    {
        var reads = new Reads();
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = Users }, async (user, _) =>
        {
            for (var i = 0; i < PostsPerUser; i++)
            {
                var (post, _) = await user.Client.CreatePostAsync($"post {i} {Guid.NewGuid():N}");
                user.Posts.Add(post.Id);
                var read = await user.Client.GetPostsAsync();
                reads.Add(read.Source, read.Reason, read.Body.Any(p => p.Id == post.Id));
            }
        });
        return reads;
    }

    // Each user lists their posts again and again, `reads` times or until `until`: the last one must be there.
    private static async Task<Reads> ReadAgainAsync(List<User> users, int reads = int.MaxValue, DateTime? until = null)
    {
        var done = new Reads();
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = Users }, async (user, _) =>
        {
            for (var i = 0; i < reads && (until is null || DateTime.UtcNow < until); i++)
            {
                var read = await user.Client.GetPostsAsync();
                done.Add(read.Source, read.Reason, read.Body.Any(p => p.Id == user.Posts[^1]));
            }
        });
        return done;
    }

    /// <summary>Reads by where they ran and why, and which of them missed what they had to show.</summary>
    private sealed class Reads
    {
        private readonly ConcurrentBag<(string Source, string Reason, bool Fresh)> _reads = [];

        public int Count => _reads.Count;

        public int Stale => _reads.Count(r => !r.Fresh);

        public void Add(string source, string reason, bool fresh) => _reads.Add((source, reason, fresh));

        public int Served(string source) => _reads.Count(r => r.Source == source);

        public double Share(string source) => Count == 0 ? 0 : (double)_reads.Count(r => r.Source == source) / Count;

        public int StaleFrom(string source) => _reads.Count(r => r.Source == source && !r.Fresh);

        public int WithReason(string reason) => _reads.Count(r => r.Reason == reason);

        public override string ToString() =>
            $"{Count} reads, {Stale} stale; by source: "
            + string.Join(", ", _reads.GroupBy(r => r.Source).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()} ({(double)g.Count() / Count:P0}, {g.Count(r => !r.Fresh)} stale)"))
            + "; by reason: " + string.Join(", ", _reads.GroupBy(r => r.Reason).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"));
    }

    /// <summary>The four-replica service set, up with its lags for the class's tests, and removed after them.</summary>
    public sealed class FourReplicas : IAsyncLifetime
    {
        private static readonly TimeSpan[] Lags = [TimeSpan.Zero, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(2)];

        public ServiceSet Set { get; } = new(27832, 27833, 27834, 27879, Path.Combine(RepoPaths.Root, ".data", "replicas-27832"), replicas: 4);

        public async Task InitializeAsync()
        {
            await Set.RunAsync("reset");
            await Set.RunAsync("up");
            for (var i = 0; i < Set.Replicas.Count; i++)
            {
                await using var replica = NpgsqlDataSource.Create(Set.Replicas[i].ConnectionString);
                await ReplicatedPostgres.SetLagAsync(replica, Lags[i]);
            }
        }

        /// <summary>The primary's position now.</summary>
        public async Task<Lsn> CurrentLsnAsync()
        {
            await using var primary = NpgsqlDataSource.Create(Set.Primary);
            await using var connection = await primary.OpenConnectionAsync();
            return Lsn.Parse(await connection.ExecuteScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text") ?? "0/0").ToWrittenEnd();
        }

        public Task DisposeAsync() => Set.RunAsync("reset");
    }
}
