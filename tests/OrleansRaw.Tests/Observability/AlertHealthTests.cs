using System.Diagnostics;
using System.Net;
using System.Text.Json;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Observability;

/// <summary>Readiness as the alert: a replica lagging past <c>Alerts:MaxReplicaLag</c> turns it Degraded, naming the replica.</summary>
[Collection(SystemCollection.Name)]
public sealed class AlertHealthTests(SystemFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Ready_TurnsDegradedNamingTheReplica_WhileItLagsPastTheLimit_AndHealthyAfter()
    {
        // An API of its own, so the primary-read-share window holds no reads of earlier tests.
        var deployment = await fixture.DeploymentAsync("alerts", new Dictionary<string, string?> { ["Alerts:ClearAfter"] = "00:00:01" });
        await fixture.Db.SetLagAsync(TimeSpan.Zero);
        using var http = deployment.Api.CreateClient();
        var healthy = await WaitForAsync(http, "Healthy", TimeSpan.FromSeconds(15));
        Assert.Equal("Healthy", Check(healthy, "replica-lag").GetProperty("status").GetString());

        using var writer = await deployment.CreateClient().SignInAsync(Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000));
        using var stopWrites = new CancellationTokenSource();
        Task? writes = null;
        try
        {
            await fixture.Db.SetLagAsync("replica-1", TimeSpan.FromMilliseconds(1500));
            // Lag shows only while there is WAL to replay: keep writing.
            writes = WriteUntilAsync(writer, stopWrites.Token);
            var watch = Stopwatch.StartNew();
            var degraded = await WaitForAsync(http, "Degraded", TimeSpan.FromSeconds(20));
            output.WriteLine($"Degraded after {watch.ElapsedMilliseconds} ms: {degraded}");
            var lag = Check(degraded, "replica-lag");
            Assert.Equal("Degraded", lag.GetProperty("status").GetString());
            Assert.Contains("replica-1", lag.GetProperty("description").GetString());
            Assert.DoesNotContain("replica-2", lag.GetProperty("description").GetString());
            Assert.Equal(["replica-1"], lag.GetProperty("data").GetProperty("laggingReplicas").EnumerateArray().Select(e => e.GetString()!));
        }
        finally
        {
            await stopWrites.CancelAsync();
            if (writes is not null)
            {
                await writes;
            }

            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }

        var recovery = Stopwatch.StartNew();
        var recovered = await WaitForAsync(http, "Healthy", TimeSpan.FromSeconds(20));
        output.WriteLine($"Healthy again {recovery.ElapsedMilliseconds} ms after the lag was removed: {recovered}");
        Assert.Equal("Healthy", Check(recovered, "replica-lag").GetProperty("status").GetString());
    }

    private static async Task WriteUntilAsync(ApiClient client, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await client.CreatePostAsync("lag probe " + Guid.NewGuid().ToString("N"));
            await Task.Delay(100, CancellationToken.None);
        }
    }

    private static JsonElement Check(JsonElement report, string name) => report.GetProperty("checks").GetProperty(name);

    /// <summary>Polls <c>/health/ready</c> until its overall status is <paramref name="status"/> (Degraded still answers 200).</summary>
    private static async Task<JsonElement> WaitForAsync(HttpClient http, string status, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        JsonElement last = default;
        while (deadline.Elapsed < timeout)
        {
            using var response = await http.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            last = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (last.GetProperty("status").GetString() == status)
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"/health/ready never reported {status} within {timeout}; last: {last}");
    }
}
