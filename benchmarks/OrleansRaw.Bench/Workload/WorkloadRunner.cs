using System.Collections.Concurrent;
using System.Diagnostics;

namespace OrleansRaw.Bench.Workload;

/// <summary>Something to do at a moment of a cell, e.g. raise the replicas' lag for a spike.</summary>
public sealed record TimedAction(TimeSpan At, string Name, Func<CancellationToken, Task> Run);

/// <summary>Everything one cell produced: every request, how long the cell ran, and the users' ids.</summary>
public sealed record CellRun(IReadOnlyList<Sample> Samples, TimeSpan Elapsed, long FirstUserId, int Users, int SkippedReads);

/// <summary>
/// Drives a <see cref="WorkloadPlan"/> over HTTP: all users at once, each going through its steps in order. Bounded:
/// a cell that outlives <c>deadline</c> is cancelled (its unfinished requests are not counted).
/// </summary>
public sealed class WorkloadRunner(ApiTarget api)
{
    /// <param name="plan">The workload.</param>
    /// <param name="firstUserId">User ids are <c>firstUserId + index</c>; a fresh range per cell keeps cells apart.</param>
    /// <param name="actions">Run at their time from the start of the cell, alongside the users.</param>
    /// <param name="deadline">The most the cell may take.</param>
    public async Task<CellRun> RunAsync(WorkloadPlan plan, long firstUserId, IReadOnlyList<TimedAction>? actions, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        var users = plan.Users.Select(u => new BenchUser(api, firstUserId + u.Index, () => clock.Elapsed)).ToList();

        // Sign-in is not part of the measurement.
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (user, ct) => await user.SignInAsync(ct));

        var samples = new ConcurrentBag<Sample>();
        var skipped = 0;
        timeout.CancelAfter(deadline);
        clock.Restart();
        var actionTasks = (actions ?? []).Select(a => RunActionAsync(a, clock, timeout.Token)).ToList();
        var userTasks = plan.Users.Select(async u =>
        {
            var user = users[u.Index];
            await Task.Delay(u.StartOffset, timeout.Token);
            foreach (var step in u.Steps)
            {
                var write = await user.WriteAsync(step.Write, timeout.Token);
                samples.Add(write);
                if (write.Ok)
                {
                    if (step.Think > TimeSpan.Zero)
                    {
                        await Task.Delay(step.Think, timeout.Token);
                    }

                    samples.Add(await user.ReadOwnAsync(step.Think, timeout.Token));
                }
                else
                {
                    Interlocked.Increment(ref skipped);
                }

                samples.Add(await user.ReadForeignAsync(firstUserId + step.ForeignUser, step.Foreign, timeout.Token));
            }
        }).ToList();

        try
        {
            await Task.WhenAll(userTasks);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the cell did not finish within {deadline.TotalSeconds:F0} s ({samples.Count} requests done)");
        }

        var elapsed = clock.Elapsed;
        await Task.WhenAll(actionTasks);
        return new CellRun([.. samples.OrderBy(s => s.At)], elapsed, firstUserId, plan.Users.Count, skipped);
    }

    /// <summary>Runs <paramref name="action"/> at its time on <paramref name="clock"/>.</summary>
    internal static async Task RunActionAsync(TimedAction action, Stopwatch clock, CancellationToken cancellationToken)
    {
        var wait = action.At - clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }

        await action.Run(cancellationToken);
    }
}
