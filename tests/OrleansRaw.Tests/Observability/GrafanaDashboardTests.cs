using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Observability;

/// <summary>
/// The Grafana dashboard under deploy/grafana queries only series the API really exports: every metric a panel names
/// is found in a scrape of an API that has served the traffic each panel shows.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed partial class GrafanaDashboardTests(SystemFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task EveryPanelsMetric_IsExportedByTheApi()
    {
        var panels = Panels().ToList();
        Assert.NotEmpty(panels);
        foreach (var (title, expressions) in panels)
        {
            Assert.All(expressions, e => Assert.True(MetricName().IsMatch(e), $"panel '{title}' queries no OrleansRaw metric: {e}"));
        }

        var settings = new Dictionary<string, string?>(fixture.Default.Settings)
        {
            ["RateLimiting:WritesPerSecond"] = "1",
            ["RateLimiting:WriteBurst"] = "1",
        };
        await using var api = new Deployment.ApiFactory(fixture.Default.Cluster.Client, settings);
        using var client = await ApiClient.For(api).SignInAsync(TestUsers.NewId());
        try
        {
            // Reads, decisions and leases; a refused write; a read that waits on a replica; one that falls back.
            await client.CreatePostAsync("for the dashboard");
            await client.GetPostsAsync();
            Assert.Equal(HttpStatusCode.TooManyRequests, (await ApiClient.AnswerAsync(client.CreatePostAsync("over the limit"))).Status);

            foreach (var lag in new[] { 50, 300 })
            {
                await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(lag));
                await Task.Delay(TimeSpan.FromSeconds(1.1)); // the write bucket refills
                await client.CreatePostAsync($"at {lag} ms");
                await client.GetPostsAsync();
            }
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }

        using var http = api.CreateClient();
        var scrape = PrometheusText.Parse(await http.GetStringAsync("/metrics"));
        var missing = panels.SelectMany(p => p.Expressions.SelectMany(e => MetricName().Matches(e)).Select(m => (p.Title, Metric: m.Value)))
            .Where(p => !scrape.Has(p.Metric)).ToList();
        output.WriteLine($"{panels.Count} panels, {panels.Sum(p => p.Expressions.Count)} queries; missing: {string.Join(", ", missing)}");
        Assert.Empty(missing);
    }

    private static IEnumerable<(string Title, List<string> Expressions)> Panels()
    {
        var directory = Path.Combine(RepoPaths.Root, "deploy", "grafana");
        foreach (var file in Directory.EnumerateFiles(directory, "*.json"))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var panel in document.RootElement.GetProperty("panels").EnumerateArray())
            {
                var expressions = panel.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!).ToList();
                Assert.NotEmpty(expressions);
                yield return ($"{Path.GetFileName(file)}: {panel.GetProperty("title").GetString()}", expressions);
            }
        }
    }

    [GeneratedRegex("orleansraw_[a-z0-9_]+")]
    private static partial Regex MetricName();
}
