using System.Net;
using System.Text.Json;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Observability;

/// <summary>
/// The operator's and developer's doors of the API: the Orleans dashboard (not in the OpenAPI document, so read raw)
/// and the lag control (through the generated client).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class DevToolsAndDashboardTests(SystemFixture fixture)
{
    [Fact]
    public async Task Dashboard_IsServed_AndEverySiloReportsToIt()
    {
        using var http = fixture.Default.Api.CreateClient();
        using var page = await http.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

        // The dashboard grain gathers each silo's report on a timer: allow it a few rounds.
        var hosts = 0;
        for (var attempt = 0; attempt < 50 && hosts < 2; attempt++)
        {
            using var counters = await http.GetAsync("/dashboard/DashboardCounters");
            Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
            hosts = JsonDocument.Parse(await counters.Content.ReadAsStringAsync()).RootElement.GetProperty("totalActiveHostCount").GetInt32();
            await Task.Delay(hosts < 2 ? 200 : 0);
        }

        Assert.Equal(2, hosts);
    }

    [Theory]
    [InlineData("replica-3", 100, HttpStatusCode.NotFound)]
    [InlineData("replica-1'; SELECT pg_terminate_backend(1); --", 100, HttpStatusCode.NotFound)]
    [InlineData("replica-1", -1, HttpStatusCode.BadRequest)]
    [InlineData("replica-1", 60_001, HttpStatusCode.BadRequest)]
    public async Task DevLag_RefusesUnknownReplicasAndOutOfRangeDelays(string name, int delayMs, HttpStatusCode expected)
    {
        using var client = fixture.Default.CreateClient();
        await ProblemResponse.ThrowsAsync(() => client.SetReplicaLagAsync(name, delayMs), expected);
    }

    [Fact]
    public async Task DevLag_SetsTheReplicasApplyDelay()
    {
        using var client = fixture.Default.CreateClient();
        try
        {
            Assert.Equal(250, (await client.SetReplicaLagAsync("replica-2", 250)).Body.DelayMs);

            var settings = (await client.GetReplicaLagsAsync()).Body;
            var delays = settings.ToDictionary(s => s.Replica!, s => s.DelayMs);
            Assert.Equal(250, delays["replica-2"]);
            Assert.Equal(0, delays["replica-1"]);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }
}
