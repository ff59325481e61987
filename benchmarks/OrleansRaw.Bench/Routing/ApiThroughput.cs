using OrleansRaw.Bench.Workload;

namespace OrleansRaw.Bench.Routing;

/// <summary>
/// The API's request throughput at saturation: signed-in users, each with one post the replicas have, read their
/// own posts back-to-back (no think time). Run once with routing (Lsn) and once with the Eventual baseline; the
/// ratio of the two is the cost of routing in requests per second.
/// </summary>
public static class ApiThroughput
{
    public static async Task<LoadResult> MeasureAsync(
        ApiTarget api, long firstUserId, int concurrency, TimeSpan warmUp, TimeSpan duration, Func<CancellationToken, Task> afterWrites,
        string name, int repetition, CancellationToken cancellationToken)
    {
        var users = Enumerable.Range(0, concurrency).Select(i => new BenchUser(api, firstUserId + i, () => TimeSpan.Zero)).ToList();
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (user, ct) =>
        {
            await user.SignInAsync(ct);
            if (!(await user.WriteAsync(WriteKind.Post, ct)).Ok)
            {
                throw new InvalidOperationException($"user {user.Id} could not write before the throughput run");
            }
        });

        // Reads start once the replicas have the posts: what is timed is routing, not waiting for replication.
        await afterWrites(cancellationToken);
        return await LoadLoop.RunAsync(name, repetition, concurrency, warmUp, duration, async (worker, _) =>
        {
            var read = await users[worker].ReadOwnAsync(TimeSpan.Zero, cancellationToken);
            return read.Ok && read.Fresh == true;
        }, cancellationToken);
    }
}
