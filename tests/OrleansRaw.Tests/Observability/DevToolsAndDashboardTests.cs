using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Observability;

/// <summary>The operator's and developer's doors of the API: the Orleans dashboard and the lag control.</summary>
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
        using var http = fixture.Default.Api.CreateClient();
        using var response = await http.PutAsJsonAsync($"/api/dev/replicas/{Uri.EscapeDataString(name)}/lag", new { delayMs });
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task DevLag_SetsTheReplicasApplyDelay()
    {
        using var http = fixture.Default.Api.CreateClient();
        try
        {
            using var response = await http.PutAsJsonAsync("/api/dev/replicas/replica-2/lag", new { delayMs = 250 });
            response.EnsureSuccessStatusCode();
            Assert.Equal(250, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("delayMs").GetInt32());

            var settings = await http.GetFromJsonAsync<JsonElement>("/api/dev/replicas/lag");
            var delays = settings.EnumerateArray().ToDictionary(s => s.GetProperty("replica").GetString()!, s => s.GetProperty("delayMs").GetInt32());
            Assert.Equal(250, delays["replica-2"]);
            Assert.Equal(0, delays["replica-1"]);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }
}
