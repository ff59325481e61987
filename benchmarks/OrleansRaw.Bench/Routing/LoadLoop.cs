using System.Diagnostics;
using OrleansRaw.Bench.Results;

namespace OrleansRaw.Bench.Routing;

/// <summary>What a closed-loop measurement produced.</summary>
/// <param name="Name">What was measured.</param>
/// <param name="Concurrency">Calls in flight at once.</param>
/// <param name="Completed">Calls that succeeded within the measured period.</param>
/// <param name="Failed">Calls that failed within it.</param>
/// <param name="PerSecond">Completed calls per second.</param>
public sealed record LoadResult(string Name, int Concurrency, int Repetition, long Completed, long Failed, double PerSecond, double P50Ms, double P99Ms);

/// <summary>
/// A closed loop: <c>concurrency</c> callers each call again as soon as their last call returns, for a fixed time
/// after a warm-up that is not counted. Bounded in time; stops by itself.
/// </summary>
public static class LoadLoop
{
    public static async Task<LoadResult> RunAsync(
        string name, int repetition, int concurrency, TimeSpan warmUp, TimeSpan duration, Func<int, long, Task<bool>> call, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var measureFrom = warmUp;
        var measureTo = warmUp + duration;
        var latencies = new List<double>[concurrency];
        var failed = new long[concurrency];
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var mine = latencies[worker] = new List<double>(4096);
            for (long i = 0; clock.Elapsed < measureTo && !cancellationToken.IsCancellationRequested; i++)
            {
                var started = clock.Elapsed;
                bool ok;
                try
                {
                    ok = await call(worker, i);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    ok = false;
                }

                var ended = clock.Elapsed;
                if (started >= measureFrom && ended <= measureTo)
                {
                    if (ok)
                    {
                        mine.Add((ended - started).TotalMilliseconds);
                    }
                    else
                    {
                        failed[worker]++;
                    }
                }
            }
        }));

        var all = latencies.SelectMany(l => l).ToList();
        return new LoadResult(name, concurrency, repetition, all.Count, failed.Sum(), all.Count / duration.TotalSeconds,
            Stats.Percentile(all, 0.50), Stats.Percentile(all, 0.99));
    }
}
