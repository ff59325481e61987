using System.Globalization;
using OrleansRaw.Bench.Routing;

namespace OrleansRaw.Bench.Scale;

/// <summary>One silo's memory at one moment, right after a full, blocking garbage collection.</summary>
/// <param name="Activations">Grain activations on the silo (Orleans' count, every grain type).</param>
/// <param name="HeapBytes">The managed heap after the collection, every generation (the runtime's <c>dotnet.gc.last_collection.heap.size</c>).</param>
/// <param name="WorkingSetBytes">The silo process's resident memory (<c>dotnet.process.memory.working_set</c>).</param>
/// <param name="FragmentationBytes">The free space between live objects in <paramref name="HeapBytes"/> (<c>dotnet.gc.last_collection.heap.fragmentation.size</c>).</param>
public sealed record SiloMemory(long Activations, long HeapBytes, long WorkingSetBytes, long FragmentationBytes = 0)
{
    public long LiveBytes => HeapBytes - FragmentationBytes;
}

/// <summary>What <see cref="GrainMemory"/> measured.</summary>
public sealed record GrainMemoryResult(int Grains, SiloMemory Before, SiloMemory After, double ActivateSeconds)
{
    public long Activated => After.Activations - Before.Activations;

    public double HeapBytesPerGrain => Activated <= 0 ? 0 : (double)(After.HeapBytes - Before.HeapBytes) / Activated;

    public double LiveBytesPerGrain => Activated <= 0 ? 0 : (double)(After.LiveBytes - Before.LiveBytes) / Activated;

    public double WorkingSetBytesPerGrain => Activated <= 0 ? 0 : (double)(After.WorkingSetBytes - Before.WorkingSetBytes) / Activated;

    public override string ToString() =>
        $"{Activated:N0} user grains activated in {ActivateSeconds:F1} s: managed heap {Before.HeapBytes / 1e6:F1} → {After.HeapBytes / 1e6:F1} MB "
        + $"({HeapBytesPerGrain:F0} bytes per grain, {LiveBytesPerGrain:F0} of them live objects), working set {Before.WorkingSetBytes / 1e6:F1} → {After.WorkingSetBytes / 1e6:F1} MB "
        + $"({WorkingSetBytesPerGrain:F0} bytes per grain)";
}

/// <summary>
/// Silo memory per user grain: activates many user grains on a one-silo cluster as API servers do on a user's first
/// write (the write recorded with the server as lease holder, so each grain holds its state and one lease), and reads
/// the silo's managed heap after a full collection, before and after. The collection is Orleans' own
/// (<see cref="IManagementGrain.ForceGarbageCollection"/>); the figures come from the silo's <c>/metrics</c>, so nothing
/// in the silo is there for the benchmark's sake.
/// </summary>
public static class GrainMemory
{
    /// <param name="settled">Called once the heap has settled, before (<c>"before"</c>) and after (<c>"after"</c>) the
    /// activations: a heap dump's moment.</param>
    public static async Task<GrainMemoryResult> MeasureAsync(DecisionBenchmark client, Uri siloMetrics, IReadOnlyList<long> warmUsers,
        IReadOnlyList<long> users, WalPosition position, Func<string, Task> settled, CancellationToken cancellationToken)
    {
        var holder = client.Client.CreateObjectReference<IReaderLeaseHolder>(new SoleLeaseHolder());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        // The code paths are compiled and the pools filled before the first figure.
        await ActivateAsync(client, warmUsers, holder, position, cancellationToken);
        var before = await SettledAsync(client, http, siloMetrics, cancellationToken);
        await settled("before");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await ActivateAsync(client, users, holder, position, cancellationToken);
        var activated = clock.Elapsed;
        var after = await SettledAsync(client, http, siloMetrics, cancellationToken);
        await settled("after");
        return new GrainMemoryResult(users.Count, before, after, activated.TotalSeconds);
    }

    private static Task ActivateAsync(DecisionBenchmark client, IReadOnlyList<long> users, IReaderLeaseHolder holder, WalPosition position,
        CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (user, _) =>
            await client.UserGrain(user).RecordWriteAsync(new WriteRecord(position, DateTimeOffset.UtcNow), holder, LeaseReport.None));

    // Two full collections a second apart (finalizers run between them), then the figures from the next scrape.
    private static async Task<SiloMemory> SettledAsync(DecisionBenchmark client, HttpClient http, Uri siloMetrics, CancellationToken cancellationToken)
    {
        var management = client.Client.GetGrain<IManagementGrain>(0);
        var silos = (await management.GetHosts(onlyActive: true)).Keys.ToArray();
        for (var i = 0; i < 2; i++)
        {
            await management.ForceGarbageCollection(silos);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        var activations = await management.GetTotalActivationCount();
        var text = await http.GetStringAsync(siloMetrics, cancellationToken);
        return new SiloMemory(activations, Sum(text, "dotnet_gc_last_collection_heap_size_bytes"), Sum(text, "dotnet_process_memory_working_set_bytes"),
            Sum(text, "dotnet_gc_last_collection_heap_fragmentation_size_bytes"));
    }

    // The sum over a metric's series (one per generation for the heap), from Prometheus' text format.
    private static long Sum(string metrics, string name)
    {
        var lines = metrics.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal)).ToList();
        if (lines.Count == 0)
        {
            throw new InvalidOperationException($"the silo's /metrics has no {name}");
        }

        return lines.Sum(l => (long)double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
    }
}
