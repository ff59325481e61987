using Dapper;
using Npgsql;
using OrleansRaw.Tests.Cluster;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Failover;

/// <summary>
/// The crash-failover drill, on a PostgreSQL + Redis set of its own (ports 27632–27634, 27679), a
/// real silo process and the API as its client. Replica-1 stops receiving WAL (its link to the primary is cut, as a
/// partition or a slow link would), users keep writing, so replica-2 holds commits replica-1 never got; then the
/// primary crashes (<c>pg_ctl stop -m immediate</c>), replica-1 is promoted (timeline 2, from its own, earlier end
/// of WAL), and replica-2 is pointed at it. Replica-2 cannot follow: it has replayed timeline 1 past the switch
/// point, and stays a standby there, answering <c>pg_last_wal_replay_lsn()</c> with a position above the new
/// timeline's first writes. (A <c>recovery_min_apply_delay</c> on replica-1 alone would not do it: a promotion
/// replays every record the standby received, delayed or not.)
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class TimelineFailoverTests(ITestOutputHelper output)
{
    private const int Writers = 8;
    private const int AnonymousReaders = 2;
    private static readonly TimeSpan CutAt = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan CutFor = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RunAfterPromotion = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task CrashFailover_NoStaleOwnRead_NoReadFromTheDeadTimeline_WritesBackWithin10s()
    {
        var drill = await RunDrillAsync(compareTimelines: true);

        Assert.Equal(0, drill.StaleOwnReads);
        Assert.Equal(0, drill.DeadTimelineOwnReads);
        // Reads without a floor (anonymous) go by the monitor's snapshot: none reach the dead branch once it shows the
        // new timeline. (Between the promotion and that poll, at most 50 ms, one may: the figure is reported.)
        Assert.Equal(0, drill.DeadTimelineReadsOnceSeen);
        Assert.NotNull(drill.WritesBackAfter);
        Assert.True(drill.WritesBackAfter < TimeSpan.FromSeconds(10), $"writes back {drill.WritesBackAfter?.TotalSeconds:F1} s after the crash");
        // What replica-1 never received is lost (asynchronous replication); nothing acknowledged after the promotion is.
        Assert.Equal(0, drill.LostAfterPromotion);
        Assert.All(drill.ErrorKinds, kind => Assert.EndsWith(" 503", kind));
        Assert.Equal(0, drill.ErrorsWithoutRetryAfter);
        // The monitor names the dead branch.
        Assert.Equal(2u, drill.Final.Timeline);
        var deadReplica = drill.Final.Replicas.Single(r => r.Name == "replica-2");
        Assert.False(deadReplica.Healthy);
        Assert.StartsWith(ReplicaErrors.TimelinePrefix + "1,", deadReplica.Error);
    }

    [Fact]
    public async Task CrashFailover_ComparingLsnsOnly_ReadsTheDeadTimeline_AndServesStaleOwnReads()
    {
        // The same drill with timelines ignored (Consistency:CompareTimelines=false): what the monitor and the guard did
        // before positions carried their timeline. It must show the hazard, or the drill proves nothing.
        var drill = await RunDrillAsync(compareTimelines: false);

        Assert.True(drill.DeadTimelineReadsOnceSeen > 0, "the LSN-only version never read the dead-timeline replica");
        Assert.True(drill.StaleOwnReads > 0, "the LSN-only version served no stale own read");
    }

    [Fact]
    public async Task OrderlyFailover_TheReplicaThatFollowsTheNewTimeline_ServesOwnReadsAgain()
    {
        // The other side of the rule: a standby that does follow the promoted node reports the new timeline through its
        // WAL receiver (its last restartpoint still names the old one for minutes) and is used again.
        var services = new ServiceSet(27632, 27633, 27634, 27679, Path.Combine(RepoPaths.Root, ".data", "failover-27632"));
        await services.RunAsync("reset");
        await services.RunAsync("up");
        try
        {
            await using var cluster = await MultiProcessCluster.StartAsync(silos: 1, services);
            await WaitAsync(cluster, s => s.Replicas.Length == 2 && s.Replicas.All(r => r.Healthy), "both replicas healthy");
            using var client = await cluster.CreateClient().SignInAsync(TestUsers.NewId());
            await client.CreatePostAsync("before the failover");

            await services.RunAsync("failover");
            await WaitAsync(cluster, s => s.Timeline == 2 && s.Replicas.Single(r => r.Name == "replica-2") is { Healthy: true, Timeline: 2 },
                "replica-2 healthy on timeline 2");

            // The API finds the promoted node on its own (a host state recheck every second): until then writes answer 503.
            for (var deadline = DateTime.UtcNow.AddSeconds(10); ; await Task.Delay(100))
            {
                var probe = await ApiClient.AnswerAsync(client.CreatePostAsync("writes back?"));
                if (probe.Problem is null || DateTime.UtcNow > deadline)
                {
                    Assert.True(probe.Problem is null, $"writes not back 10 s after the failover: {(int)probe.Status}");
                    break;
                }
            }

            var reasons = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                var (post, _) = await client.CreatePostAsync($"after the failover {i}");
                var read = await client.GetPostsAsync();
                Assert.Contains(read.Body, p => p.Id == post.Id);
                reasons.Add($"{read.Source}/{read.Reason}");
                await Task.Delay(50);
            }

            output.WriteLine(string.Join(", ", reasons.GroupBy(r => r).Select(g => $"{g.Key}×{g.Count()}")));
            Assert.Contains("replica:replica-2/own-write-replica-caught-up", reasons);
        }
        finally
        {
            await services.RunAsync("reset");
        }
    }

    private sealed record DrillResult(
        int StaleOwnReads, int DeadTimelineOwnReads, int DeadTimelineReadsOnceSeen, TimeSpan? WritesBackAfter, int LostAfterPromotion, IReadOnlyCollection<string> ErrorKinds,
        int ErrorsWithoutRetryAfter, ReplicaSnapshot Final);

    private async Task<DrillResult> RunDrillAsync(bool compareTimelines)
    {
        var services = new ServiceSet(27632, 27633, 27634, 27679, Path.Combine(RepoPaths.Root, ".data", "failover-27632"));
        await services.RunAsync("reset");
        await services.RunAsync("up");
        try
        {
            await using var cluster = await MultiProcessCluster.StartAsync(silos: 1, services,
                new Dictionary<string, string?> { ["Consistency:CompareTimelines"] = compareTimelines.ToString() });
            await WaitAsync(cluster, s => s.Replicas.Length == 2 && s.Replicas.All(r => r.Healthy), "both replicas healthy");
            await using var replica1 = NpgsqlDataSource.Create(services.Replica1);
            await using var replica2 = NpgsqlDataSource.Create(services.Replica2);

            var workload = new FailoverWorkload();
            using var stop = new CancellationTokenSource();
            var running = workload.RunAsync(cluster.CreateClient, Writers, AnonymousReaders, stop.Token);

            await Task.Delay(CutAt);
            var cut = workload.Now;
            await ExecuteAsync(replica1, "ALTER SYSTEM SET primary_conninfo = ''", "SELECT pg_reload_conf()");
            await Task.Delay(CutFor);

            var crash = workload.Now;
            var timelineSeen = WhenTimelineSeenAsync(cluster, workload);
            await services.RunAsync("stop", "primary");
            await ExecuteAsync(replica1, "SELECT pg_promote(true, 30)");
            var promoted = workload.Now;
            await ExecuteAsync(replica2,
                $"ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port={services.Replica1Port} user=postgres application_name=replica-2'",
                "SELECT pg_reload_conf()");

            await Task.Delay(RunAfterPromotion);
            stop.Cancel();
            await running;
            var seen = await timelineSeen;

            // The scenario happened: replica-2 is still a standby, past the point where timeline 2 left timeline 1.
            var switchPoint = await SwitchPointAsync(replica1);
            await using var probe = await replica2.OpenConnectionAsync();
            var (inRecovery, replayText) = await probe.QuerySingleAsync<(bool, string)>("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text");
            var deadReplay = Lsn.Parse(replayText);
            Assert.True(inRecovery, "replica-2 left recovery");
            Assert.True(deadReplay > switchPoint, $"replica-2 replayed {deadReplay}, not past the switch point {switchPoint}: no dead branch");

            var final = await cluster.Grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster).GetSnapshotAsync();
            var lost = await LostAsync(services, workload.Acknowledged.Select(a => a.Content).ToArray());
            var missing = workload.Reads.Where(r => r.MissingPost is { } id && !lost.Contains(id)).ToList();
            var afterPromotion = workload.Reads.Where(r => r.StartedAt > promoted).ToList();
            var dead = afterPromotion.Where(r => r.Source == "replica:replica-2").ToList();
            var deadOnceSeen = dead.Count(r => r.StartedAt > seen);
            var writesBack = workload.Acknowledged.Where(a => a.At > promoted).Select(a => a.At).DefaultIfEmpty().Min();
            var ackedAt = workload.Acknowledged.ToDictionary(a => a.Content, a => a.At);
            var lostBeforeCut = lost.Count(id => ackedAt[id] <= cut);
            var lostAfterPromotion = lost.Count(id => ackedAt[id] > promoted);

            output.WriteLine($"{(compareTimelines ? "timelines compared" : "LSNs only")}: cut replica-1 at {cut.TotalSeconds:F2} s, crash at "
                + $"{crash.TotalSeconds:F2} s, promoted at {promoted.TotalSeconds:F2} s; switch point {switchPoint}, replica-2 replayed {deadReplay} "
                + $"on timeline 1 ({deadReplay.BytesAfter(switchPoint)} WAL bytes the new primary never had)");
            output.WriteLine($"  {workload.Acknowledged.Count} writes acknowledged, {lost.Count} lost: {lost.Count - lostBeforeCut - lostAfterPromotion} of the "
                + $"{workload.Acknowledged.Count(a => a.At > cut && a.At <= promoted)} acknowledged while replica-1 was cut off, {lostBeforeCut} acknowledged before the cut "
                + $"(not yet received by replica-1; the earliest {(lostBeforeCut == 0 ? 0 : (cut - lost.Min(id => ackedAt[id])).TotalMilliseconds):F0} ms before it), "
                + $"{lostAfterPromotion} acknowledged after the promotion; {workload.Acknowledged.GroupBy(a => a.Id).Count(g => g.Count() > 1)} post ids "
                + "were handed out twice (a lost post's id, again on the new timeline)");
            output.WriteLine($"  {workload.Reads.Count(r => r.Own)} own reads after a write: {missing.Count} stale ({missing.Count(r => r.StartedAt > promoted)} after the promotion); "
                + $"{lost.Count(id => workload.Reads.Any(r => r.MissingPost == id))} missed a write that was lost");
            output.WriteLine($"  the monitor showed timeline 2 {(seen - promoted).TotalMilliseconds:F0} ms after pg_promote() returned; "
                + $"{afterPromotion.Count} reads after the promotion, {dead.Count} from the dead-timeline replica-2 "
                + $"({dead.Count(r => r.Own)} own, {dead.Count(r => !r.Own)} anonymous, {deadOnceSeen} once the monitor showed timeline 2); reasons: "
                + string.Join(", ", afterPromotion.GroupBy(r => $"{r.Source}/{r.Reason}").OrderByDescending(g => g.Count()).Select(g => $"{g.Key}×{g.Count()}")));
            output.WriteLine($"  writes back {(writesBack == default ? "never" : $"{(writesBack - crash).TotalSeconds:F2} s after the crash ({(writesBack - promoted).TotalSeconds:F2} s after the promotion)")}; "
                + $"errors: {(workload.Errors.Count == 0 ? "none" : string.Join(", ", workload.Errors.GroupBy(e => e.Kind).Select(g => $"{g.Key}×{g.Count()}")))}");
            output.WriteLine($"  monitor: timeline {final.Timeline}; "
                + string.Join("; ", final.Replicas.Select(r => $"{r.Name} {(r.Healthy ? "healthy" : "unhealthy")} on {r.Timeline} ({r.Error ?? "ok"})")));

            return new DrillResult(missing.Count, dead.Count(r => r.Own), deadOnceSeen, writesBack == default ? null : writesBack - crash, lostAfterPromotion,
                [.. workload.Errors.Select(e => e.Kind).Distinct()], workload.Errors.Count(e => e.Kind.EndsWith(" 503") && !e.RetryAfter), final);
        }
        finally
        {
            await services.RunAsync("reset");
        }
    }

    // When the monitor first publishes the new timeline (the silos' copies follow within milliseconds).
    private static async Task<TimeSpan> WhenTimelineSeenAsync(MultiProcessCluster cluster, FailoverWorkload workload)
    {
        var monitor = cluster.Grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster);
        var deadline = workload.Now + TimeSpan.FromSeconds(30);
        while ((await monitor.GetSnapshotAsync()).Timeline < 2)
        {
            if (workload.Now > deadline)
            {
                throw new TimeoutException("the replica monitor never showed timeline 2");
            }

            await Task.Delay(5);
        }

        return workload.Now;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource node, params string[] statements)
    {
        await using var connection = await node.OpenConnectionAsync();
        foreach (var statement in statements)
        {
            await connection.ExecuteAsync(statement);
        }
    }

    // The promoted node's history file: "1<TAB>switch point<TAB>reason" for the timeline it left.
    private static async Task<Lsn> SwitchPointAsync(NpgsqlDataSource newPrimary)
    {
        await using var connection = await newPrimary.OpenConnectionAsync();
        var history = await connection.ExecuteScalarAsync<string>("SELECT pg_read_file('pg_wal/00000002.history')");
        return Lsn.Parse(history!.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split('\t')[1]);
    }

    private static async Task<HashSet<string>> LostAsync(ServiceSet services, string[] acknowledged)
    {
        await using var primary = NpgsqlDataSource.Create(services.PrimaryAnyNode);
        await using var connection = await primary.OpenConnectionAsync();
        var found = await connection.QueryAsync<string>("SELECT content FROM posts WHERE content = ANY(@acknowledged)", new { acknowledged });
        return [.. acknowledged.Except(found)];
    }

    private static async Task WaitAsync(MultiProcessCluster cluster, Func<ReplicaSnapshot, bool> condition, string what)
    {
        var monitor = cluster.Grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition(await monitor.GetSnapshotAsync()))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the replica monitor never saw " + what);
            }

            await Task.Delay(50);
        }
    }
}
