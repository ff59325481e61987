using System.Xml.Linq;
using OrleansRaw.Bench.Harness;
using OrleansRaw.Bench.Report;
using OrleansRaw.Bench.Results;
using OrleansRaw.Bench.Workload;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Bench;

/// <summary>
/// The benchmark's quick mode on the test deployment instead of a system of its own: its seeded workload goes through
/// the API in Eventual and Lsn mode under 300 ms of lag, and its report and chart come out of the results. This
/// proves the tool works; its figures are printed, never asserted.
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
                using var http = deployment.Api.CreateClient();
                var firstUserId = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);
                var run = await new WorkloadRunner(http).RunAsync(plan, firstUserId, actions: null, TimeSpan.FromSeconds(60), CancellationToken.None);
                var cell = CellResult.From(label, lag.Key, 1, run);
                results.Cells.Add(cell);
                output.WriteLine(cell.ToString());

                Assert.Equal(0, cell.Errors);
                Assert.Equal(plan.OwnReads, cell.OwnReads);
                Assert.Equal(2 * plan.OwnReads, cell.Reads);
                Assert.All(run.Samples.Where(s => s.Kind != RequestKind.Write), s => Assert.NotNull(s.Source));
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

        var chart = XDocument.Parse(SvgChart.Render(results));
        Assert.Equal(Svg + "svg", chart.Root!.Name);
        // One bar per strategy in each of the three panels, each with its value as a tooltip.
        Assert.Equal(3 * strategies.Length, chart.Descendants(Svg + "rect").Count(r => r.Element(Svg + "title") is not null));
    }
}
