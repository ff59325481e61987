using System.Diagnostics;
using OrleansRaw.Bench.Results;
using OrleansRaw.Bench.Workload;

namespace OrleansRaw.Bench.Cost;

/// <summary>
/// What a read right after a write costs a user, without contention: one signed-in user, think time 0, nothing else
/// running. Each iteration writes a post (<c>POST /api/posts</c>), reads <c>GET /api/posts</c> at once, again
/// <see cref="LaterBy"/> after the write, and once more with <c>?consistency=strong</c>, which always runs on the
/// primary: the reference for what a read costs without routing, measured in the same run, on the same system.
/// </summary>
public static class ReadAfterWriteProbe
{
    /// <summary>The second own read comes this long after the write's response (or at once, if the first read took longer).</summary>
    public static readonly TimeSpan LaterBy = TimeSpan.FromMilliseconds(60);

    // The user's grain activates and the connections open on the first requests: not what is measured.
    private const int WarmUpIterations = 3;

    /// <param name="actions">Run at their time from the start of the measured iterations (the lag profile's spike).</param>
    /// <param name="spike">When the spike's lag is in force, from the start of the measured iterations: reads right after a
    /// write that start in it are also reported apart (the lag beyond the budget), or null without a spike.</param>
    public static async Task<ProbeResult> RunAsync(ApiTarget api, long userId, int iterations, IReadOnlyList<TimedAction> actions,
        (TimeSpan From, TimeSpan To)? spike, string strategy, string lag, int repetition, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var user = new BenchUser(api, userId, () => clock.Elapsed);
        await user.SignInAsync(cancellationToken);
        for (var i = 0; i < WarmUpIterations; i++)
        {
            await IterateAsync(user, clock, cancellationToken);
        }

        clock.Restart();
        var actionTasks = actions.Select(a => WorkloadRunner.RunActionAsync(a, clock, cancellationToken)).ToList();
        var done = new List<Iteration>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            done.Add(await IterateAsync(user, clock, cancellationToken));
        }

        // The lag profile runs to its end, so the next probe starts from the steady lag.
        await Task.WhenAll(actionTasks);

        var all = done.SelectMany(d => d.Samples).ToList();
        var atOnce = done.Select(d => d.AtOnce).OfType<Sample>().Where(s => s.Ok).ToList();
        var later = done.Select(d => d.Later).OfType<Sample>().Where(s => s.Ok).ToList();
        var strong = done.Select(d => d.Strong).OfType<Sample>().Where(s => s.Ok).ToList();
        var own = atOnce.Concat(later).ToList();
        var inSpike = spike is { } window
            ? done.Where(d => d.AtOnceStarted >= window.From && d.AtOnceStarted < window.To).Select(d => d.AtOnce).OfType<Sample>().Where(s => s.Ok).ToList()
            : null;
        return new ProbeResult(
            strategy,
            lag,
            repetition,
            iterations,
            all.Count(s => !s.Ok),
            Latency.Of(done.Select(d => d.Write).Where(s => s.Ok).Select(s => s.LatencyMs)),
            Latency.Of(atOnce.Select(s => s.LatencyMs)),
            Latency.Of(later.Select(s => s.LatencyMs)),
            Latency.Of(strong.Select(s => s.LatencyMs)),
            atOnce.Count(s => s.Stale),
            later.Count(s => s.Stale),
            own.Count,
            own.Count(s => s.FromPrimary),
            strong.Count,
            strong.Count(s => s.FromPrimary),
            Reasons(atOnce),
            Reasons(later),
            all.Where(s => !s.Ok).GroupBy(s => s.Error ?? "?").ToDictionary(g => g.Key, g => g.Count()),
            inSpike is null ? null : Latency.Of(inSpike.Select(s => s.LatencyMs)),
            inSpike?.Count ?? 0,
            inSpike?.Count(s => s.FromPrimary) ?? 0);
    }

    private static async Task<Iteration> IterateAsync(BenchUser user, Stopwatch clock, CancellationToken cancellationToken)
    {
        var write = await user.WriteAsync(WriteKind.Post, cancellationToken);
        if (!write.Ok)
        {
            return new Iteration(write, null, null, null, clock.Elapsed);
        }

        var written = Stopwatch.GetTimestamp();
        var atOnceStarted = clock.Elapsed;
        var atOnce = await user.ReadOwnAsync(TimeSpan.Zero, cancellationToken);
        var wait = LaterBy - Stopwatch.GetElapsedTime(written);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }

        var later = await user.ReadOwnAsync(LaterBy, cancellationToken);
        var strong = await user.ReadOwnAsync(TimeSpan.Zero, cancellationToken, strong: true);
        return new Iteration(write, atOnce, later, strong, atOnceStarted);
    }

    private static Dictionary<string, int> Reasons(IEnumerable<Sample> reads) =>
        reads.GroupBy(s => s.Reason ?? "?").ToDictionary(g => g.Key, g => g.Count());

    private sealed record Iteration(Sample Write, Sample? AtOnce, Sample? Later, Sample? Strong, TimeSpan AtOnceStarted)
    {
        public IEnumerable<Sample> Samples => new[] { Write, AtOnce, Later, Strong }.OfType<Sample>();
    }
}
