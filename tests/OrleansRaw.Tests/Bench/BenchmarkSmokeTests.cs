using System.Xml.Linq;
using OrleansRaw.Bench.Cost;
using OrleansRaw.Bench.Harness;
using OrleansRaw.Bench.Report;
using OrleansRaw.Bench.Results;
using OrleansRaw.Bench.Workload;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Bench;

/// <summary>
/// The benchmark's quick mode on the test deployment instead of a system of its own: its seeded workload, the
/// read-right-after-a-write probe and the mixed-workload loop go through the API in Eventual and Lsn mode under 300 ms
/// of lag (the loop at lag 0), and its report and chart come out of the results. This proves the tool works; its
/// figures are printed, never asserted (the in-process API has no PIDs of its own, so no CPU is sampled here).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class BenchmarkSmokeTests(SystemFixture fixture, ITestOutputHelper output)
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public async Task QuickBenchmark_DrivesItsWorkloadThroughTheApi_AndWritesTheReportAndTheChart()
    {
        var eventual = await fixture.DeploymentAsync("eventual", new Dictionary<string, string?> { ["Consistency:Mode"] = "Eventual" });
        var strategies = new[] { (Strategy.Eventual.Label, Deployment: eventual), (Strategy.Lsn100.Label, Deployment: fixture.Default) };
        var plan = WorkloadPlan.Create(WorkloadSettings.Quick(users: 20, seed: 42));
        var lag = LagProfile.Quick;
        var results = new BenchResults
        {
            Command = nameof(BenchmarkSmokeTests),
            Seed = plan.Settings.Seed,
            Users = plan.Settings.Users,
            Repetitions = 1,
            Quick = true,
            ThinkTimes = plan.Settings.ThinkTimes,
            Strategies = [.. strategies.Select(s => s.Label)],
            LagProfiles = [(lag.Key, lag.Describe())],
        };

        await fixture.Db.SetLagAsync(lag.Steady);
        try
        {
            foreach (var (label, deployment) in strategies)
            {
                using var api = new ApiTarget(deployment.Api.Server.BaseAddress, deployment.Api.Server.CreateHandler(), TimeSpan.FromSeconds(30));
                var firstUserId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
                var run = await new WorkloadRunner(api).RunAsync(plan, firstUserId, actions: null, TimeSpan.FromSeconds(60), CancellationToken.None);
                var cell = CellResult.From(label, lag.Key, 1, run);
                results.Cells.Add(cell);
                output.WriteLine(cell.ToString());

                Assert.Equal(0, cell.Errors);
                Assert.Equal(plan.OwnReads, cell.OwnReads);
                Assert.Equal(2 * plan.OwnReads, cell.Reads);
                Assert.All(run.Samples.Where(s => s.Kind != RequestKind.Write), s => Assert.NotNull(s.Source));

                const int iterations = 5;
                var probe = await ReadAfterWriteProbe.RunAsync(api, firstUserId + 100_000, iterations, [], null, label, lag.Key, 1, CancellationToken.None);
                results.Probes.Add(probe);
                output.WriteLine(probe.ToString());
                Assert.Equal(0, probe.Errors);
                Assert.Equal(2 * iterations, probe.OwnReads);
                Assert.Equal(iterations, probe.StrongReads);
                Assert.Equal(probe.StrongReads, probe.StrongReadsOnPrimary);
            }

            await fixture.Db.SetLagAsync(TimeSpan.Zero);
            var cpu = await ProcessCpu.CreateAsync();
            foreach (var (label, deployment) in strategies)
            {
                using var api = new ApiTarget(deployment.Api.Server.BaseAddress, deployment.Api.Server.CreateHandler(), TimeSpan.FromSeconds(30));
                var capacity = await MixedCapacity.MeasureAsync(api, Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000), clients: 4,
                    TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(1), cpu, [], label, 1, seed: 42, CancellationToken.None);
                results.Capacity.Add(capacity);
                output.WriteLine(capacity.ToString());
                Assert.Equal(0, capacity.Errors);
                Assert.True(capacity.Writes > 0 && capacity.Reads > capacity.Writes, $"{capacity.Writes} writes, {capacity.Reads} reads");
            }
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }

        var markdown = MarkdownReport.Render(results, "benchmarks.svg");
        output.WriteLine(markdown);
        Assert.Contains($"## Lag {lag.Key}", markdown);
        Assert.All(strategies, s => Assert.Contains($"| {s.Label} |", markdown));
        Assert.Contains("## Read right after a write", markdown);
        Assert.Contains("## Capacity and CPU on the mixed workload", markdown);
        Assert.Contains("## Targets", markdown);

        var chart = XDocument.Parse(SvgChart.Render(results));
        Assert.Equal(Svg + "svg", chart.Root!.Name);
        // One bar per strategy in each of the three panels, each with its value as a tooltip.
        Assert.Equal(3 * strategies.Length, chart.Descendants(Svg + "rect").Count(r => r.Element(Svg + "title") is not null));
    }
}
