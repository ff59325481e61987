using System.Diagnostics;
using OrleansRaw.Bench.Harness;
using OrleansRaw.Bench.Results;
using OrleansRaw.Bench.Workload;

namespace OrleansRaw.Bench.Cost;

/// <summary>
/// The system's capacity on a mixed workload, and its CPU per operation: <c>clients</c> signed-in users in a closed
/// loop, each writing a post (<c>POST /api/posts</c>), reading its own posts at once (<c>GET /api/posts</c>) and
/// reading a random other client's posts (<c>GET /api/users/{id}/posts</c>), with no pause. Every request is one
/// operation. CPU is sampled from /proc at the start and the end of the measured window (after a warm-up that is
/// not counted); operations are the requests that completed between the two samples.
/// </summary>
public static class MixedCapacity
{
    public static async Task<CapacityResult> MeasureAsync(
        ApiTarget api, long firstUserId, int clients, TimeSpan warmUp, TimeSpan duration, ProcessCpu cpu, IReadOnlyList<CpuComponent> components,
        string strategy, int repetition, int seed, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var users = Enumerable.Range(0, clients).Select(i => new BenchUser(api, firstUserId + i, () => clock.Elapsed)).ToList();
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (user, ct) => await user.SignInAsync(ct));

        clock.Restart();
        var window = SampleWindowAsync(clock, warmUp, duration, cpu, components, cancellationToken);
        var end = warmUp + duration;
        var done = await Task.WhenAll(users.Select((user, worker) => LoopAsync(user, worker, users, clock, end, new Random(seed + worker), cancellationToken)));
        var (from, to, before, after, selfBefore, selfAfter) = await window;

        var inWindow = done.SelectMany(d => d).Where(r => r.Ended >= from && r.Ended <= to).ToList();
        var ok = inWindow.Where(r => r.Sample.Ok).ToList();
        var writes = ok.Where(r => r.Sample.Kind == RequestKind.Write).ToList();
        var reads = ok.Where(r => r.Sample.Kind != RequestKind.Write).ToList();
        return new CapacityResult(
            strategy,
            repetition,
            clients,
            (to - from).TotalSeconds,
            ok.Count,
            writes.Count,
            reads.Count,
            inWindow.Count - ok.Count,
            Latency.Of(writes.Select(r => r.Sample.LatencyMs)),
            Latency.Of(reads.Select(r => r.Sample.LatencyMs)),
            after.ToDictionary(a => a.Key, a => a.Value - before.GetValueOrDefault(a.Key)),
            selfAfter - selfBefore,
            inWindow.Where(r => !r.Sample.Ok).GroupBy(r => r.Sample.Error ?? "?").ToDictionary(g => g.Key, g => g.Count()));
    }

    private static async Task<List<Request>> LoopAsync(
        BenchUser user, int worker, List<BenchUser> users, Stopwatch clock, TimeSpan end, Random random, CancellationToken cancellationToken)
    {
        var requests = new List<Request>(8192);
        var wrote = false;
        while (clock.Elapsed < end && !cancellationToken.IsCancellationRequested)
        {
            var write = await user.WriteAsync(WriteKind.Post, cancellationToken);
            requests.Add(new Request(write, clock.Elapsed));
            wrote |= write.Ok;
            if (wrote)
            {
                // After a failed write this reads back the previous post: still an own read, and still timed.
                requests.Add(new Request(await user.ReadOwnAsync(TimeSpan.Zero, cancellationToken), clock.Elapsed));
            }

            var other = random.Next(users.Count - 1);
            var otherId = users[other >= worker ? other + 1 : other].Id;
            requests.Add(new Request(await user.ReadForeignAsync(otherId, ForeignKind.Posts, cancellationToken), clock.Elapsed));
        }

        return requests;
    }

    private static async Task<Window> SampleWindowAsync(
        Stopwatch clock, TimeSpan warmUp, TimeSpan duration, ProcessCpu cpu, IReadOnlyList<CpuComponent> components, CancellationToken cancellationToken)
    {
        await DelayUntilAsync(clock, warmUp, cancellationToken);
        var from = clock.Elapsed;
        var before = cpu.Sample(components);
        var selfBefore = cpu.SampleSelf();
        await DelayUntilAsync(clock, warmUp + duration, cancellationToken);
        var to = clock.Elapsed;
        var after = cpu.Sample(components);
        return new Window(from, to, before, after, selfBefore, cpu.SampleSelf());
    }

    private static Task DelayUntilAsync(Stopwatch clock, TimeSpan at, CancellationToken cancellationToken)
    {
        var wait = at - clock.Elapsed;
        return wait > TimeSpan.Zero ? Task.Delay(wait, cancellationToken) : Task.CompletedTask;
    }

    private sealed record Request(Sample Sample, TimeSpan Ended);

    private sealed record Window(TimeSpan From, TimeSpan To, Dictionary<string, double> Before, Dictionary<string, double> After, double SelfBefore, double SelfAfter);
}
