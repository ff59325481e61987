using OrleansRaw.Bench.Harness;
using OrleansRaw.Bench.Routing;

namespace OrleansRaw.Bench.Scale;

/// <summary>Grain calls of one kind on a cluster of <paramref name="Silos"/> silos, with the silos' CPU time over the measured window.</summary>
/// <param name="Call">Which call: <c>leased decision</c> (<see cref="IUserConsistencyGrain.LeaseAsync"/>, then the routing policy in the client: <see cref="DecisionBenchmark.DecideOwnReadAsync"/>).</param>
/// <param name="SiloCpuMs">CPU milliseconds all silos used in the window.</param>
/// <param name="ClientCpuMs">CPU milliseconds the calling client (this process) used in it.</param>
public sealed record SiloCallResult(int Silos, string Call, LoadResult Load, double Seconds, double SiloCpuMs, double ClientCpuMs)
{
    /// <summary>Calls per second of silo CPU: what one core of silo can answer when the calls alone keep it busy.</summary>
    public double PerSiloCpuSecond => SiloCpuMs <= 0 ? 0 : Load.Completed / (SiloCpuMs / 1000);

    public override string ToString() =>
        $"{Silos} silo(s), {Call}, {Load.Concurrency} in flight: {Load.PerSecond:F0}/s, p50 {Load.P50Ms:F2} ms, p99 {Load.P99Ms:F2} ms, "
        + $"silos' CPU {SiloCpuMs / Seconds / 10:F0} % of a core ({PerSiloCpuSecond:F0} calls per silo CPU-second), client {ClientCpuMs / Seconds / 10:F0} %"
        + (Load.Failed > 0 ? $", {Load.Failed} off target" : "");
}

/// <summary>
/// Routing decisions from a fresh lease — the grain call an API server makes for a user whose state it holds no lease
/// on, then the policy in the API — in a closed loop through an Orleans client as the API's, timed with the silos' CPU
/// (<c>/proc</c>) over the measured window.
/// </summary>
public static class SiloScaling
{
    /// <summary>The name of the one call measured, in the results and the report.</summary>
    public const string LeasedDecision = "leased decision";

    public static async Task<IReadOnlyList<SiloCallResult>> MeasureAsync(DecisionBenchmark client, int silos, IReadOnlyList<int> siloPids, ProcessCpu cpu,
        IReadOnlyList<long> users, IReadOnlyList<int> concurrency, TimeSpan warmUp, TimeSpan duration, CancellationToken cancellationToken)
    {
        var results = new List<SiloCallResult>();
        foreach (var inFlight in concurrency)
        {
            results.Add(await TimedAsync(silos, LeasedDecision, inFlight, (worker, i) => client.DecideOwnReadAsync(Pick(users, worker, i))));
        }

        return results;

        async Task<SiloCallResult> TimedAsync(int silos, string call, int inFlight, Func<int, long, Task<bool>> body)
        {
            // The warm-up is a run of its own, so the CPU samples frame the measured calls alone.
            await LoadLoop.RunAsync(call, 0, inFlight, TimeSpan.Zero, warmUp, body, cancellationToken);
            var components = new[] { new CpuComponent("silos", siloPids) };
            var before = cpu.Sample(components)["silos"];
            var selfBefore = cpu.SampleSelf();
            var load = await LoadLoop.RunAsync(call, 1, inFlight, TimeSpan.Zero, duration, body, cancellationToken);
            return new SiloCallResult(silos, call, load, duration.TotalSeconds, cpu.Sample(components)["silos"] - before, cpu.SampleSelf() - selfBefore);
        }
    }

    private static long Pick(IReadOnlyList<long> users, int worker, long i) => users[(int)((worker * 7919 + i) % users.Count)];
}
