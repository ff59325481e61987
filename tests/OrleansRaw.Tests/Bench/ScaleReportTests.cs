using OrleansRaw.Bench.Routing;
using OrleansRaw.Bench.Scale;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Bench;

/// <summary><c>./bench --scale</c>'s report: every figure it measured reaches the tables, computed per grain, per user and per silo CPU-second.</summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class ScaleReportTests
{
    [Fact]
    public void TheReport_ShowsBytesPerGrain_BytesPerUser_AndCallsForEverySiloCount()
    {
        var results = new ScaleResults
        {
            Command = "./bench --scale",
            Memory = new GrainMemoryResult(100_000, new SiloMemory(1_000, 60_000_000, 150_000_000, 1_000_000), new SiloMemory(101_000, 300_000_000, 400_000_000, 21_000_000), 12.5),
            Redis = new RedisFootprintResult(10_000, 10_000, new RedisSnapshot(1, 600, 1_400_000), new RedisSnapshot(1, 600, 1_400_000), 20),
            Calls =
            [
                .. new[] { 1, 2, 3 }.Select(silos => new SiloCallResult(silos, SiloScaling.LeasedDecision, new LoadResult(SiloScaling.LeasedDecision, 64, 1, 400_000, 0, 80_000, 0.7, 3), 5, 4_000, 3_000)),
            ],
            CallSeconds = 5,
            WarmUpSeconds = 5,
        };

        var report = ScaleReport.Render(results);

        Assert.Contains("**2,400 bytes** | 2,200 bytes |", report); // (300 − 60) MB over 100,000 grains, 20 MB of it free space
        Assert.Contains("| **per user** | 0.00 | **0.0 bytes**", report);
        foreach (var silos in new[] { 1, 2, 3 })
        {
            Assert.Contains($"| {silos} | leased decision | 64 | 80,000 | 0.70 ms | 3.00 ms | 0.80 | 100,000 | 0.60 |", report);
        }
    }
}
