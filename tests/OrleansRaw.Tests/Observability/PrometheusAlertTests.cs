using System.Diagnostics;
using System.Net;
using OrleansRaw.Tests.Cluster;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Observability;

/// <summary>
/// The shipped alert rules, run by a real Prometheus (Debian's) that scrapes a real API process and a real silo
/// process: a replica lagging 2 s under writes raises <c>ReplicaLagHigh</c> in Prometheus' own HTTP API after the
/// rule's 10 s, and the alert resolves once the replica has caught up.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class PrometheusAlertTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const string LagAlert = "ReplicaLagHigh";
    private static readonly TimeSpan Lag = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan LagAlertFor = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ReplicaLagAlert_FiresInPrometheus_WhileAReplicaLags2sUnderWrites_AndResolvesOnceItCaughtUp()
    {
        var total = Stopwatch.StartNew();
        await fixture.Db.SetLagAsync(TimeSpan.Zero);
        var id = Guid.NewGuid().ToString("N")[..8];
        var settings = Deployment.BaseSettings(new Dictionary<string, string?>
        {
            ["Orleans:ClusterId"] = "prom-" + id,
            ["Orleans:ServiceId"] = "orleansraw-prom-" + id,
            ["Orleans:UseHostedClient"] = "true",
        });
        await using var silo = await SiloProcess.StartAsync(settings);
        await using var api = AppProcess.Start(RepoPaths.WebApiDll(), new Dictionary<string, string?>(settings) { ["ASPNETCORE_ENVIRONMENT"] = "Development" });
        using var http = new HttpClient { BaseAddress = api.Address };
        await WaitForAsync("the API to be ready", TimeSpan.FromSeconds(60), async () => await IsReadyAsync(http), () => api.Output);
        await using var prometheus = await PrometheusServer.StartAsync([$"{api.Address.Host}:{api.Address.Port}"], [$"127.0.0.1:{silo.MetricsPort}"],
            interval: TimeSpan.FromSeconds(1));
        output.WriteLine($"silo, API and Prometheus ({prometheus.Address}) up after {total.Elapsed.TotalSeconds:F1} s");

        // Both targets scraped, each with its copy of the replica gauges; the rules loaded; no lag alert yet.
        await WaitForAsync("both targets up with replica gauges", TimeSpan.FromSeconds(20), async () =>
            (await prometheus.QueryAsync("count by (job) (orleansraw_replica_lag_time_milliseconds)")).Count == 2
            && (await prometheus.QueryAsync("up == 1")).Count == 2, () => prometheus.Output);
        var rules = await prometheus.GetDataAsync("api/v1/rules");
        Assert.Contains(LagAlert, rules.GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray()).Select(r => r.GetProperty("name").GetString()));
        Assert.DoesNotContain(await prometheus.AlertsAsync(), a => a.Name == LagAlert);

        using var writer = await ApiClient.At(api.Address).SignInAsync(TestUsers.NewId());
        using var stopWrites = new CancellationTokenSource();
        var writes = Task.CompletedTask;
        try
        {
            await fixture.Db.SetLagAsync("replica-1", Lag);
            var lagging = Stopwatch.StartNew();
            // A replica lags only while there is WAL to replay: keep writing.
            writes = WriteUntilAsync(writer, stopWrites.Token);
            var firing = await WaitForAlertAsync(prometheus, "firing", TimeSpan.FromSeconds(45));
            output.WriteLine($"{LagAlert} firing {lagging.Elapsed.TotalSeconds:F1} s after the lag was set: {string.Join(", ", firing.Labels)}, value {firing.Value} ms");
            Assert.Equal("replica-1", firing.Labels["replica"]);
            Assert.True(lagging.Elapsed >= LagAlertFor, $"fired after {lagging.Elapsed}, before the rule's {LagAlertFor}");
            Assert.DoesNotContain(await prometheus.AlertsAsync(), a => a.Name == LagAlert && a.Labels["replica"] == "replica-2");

            // Lag is the operator's alert, not a reason to take the API out of a load balancer.
            using var ready = await http.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        finally
        {
            await stopWrites.CancelAsync();
            await writes;
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }

        var resolving = Stopwatch.StartNew();
        await WaitForAsync($"{LagAlert} to resolve", TimeSpan.FromSeconds(30),
            async () => !(await prometheus.AlertsAsync()).Any(a => a.Name == LagAlert), () => prometheus.Output);
        output.WriteLine($"{LagAlert} resolved {resolving.Elapsed.TotalSeconds:F1} s after replica-1 caught up; the test took {total.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task<PrometheusServer.Alert> WaitForAlertAsync(PrometheusServer prometheus, string state, TimeSpan timeout)
    {
        PrometheusServer.Alert? alert = null;
        await WaitForAsync($"{LagAlert} {state}", timeout, async () =>
            (alert = (await prometheus.AlertsAsync()).FirstOrDefault(a => a.Name == LagAlert && a.State == state)) is not null, () => prometheus.Output);
        return alert!;
    }

    private static async Task WriteUntilAsync(ApiClient client, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await client.CreatePostAsync("lag probe " + Guid.NewGuid().ToString("N"));
            await Task.Delay(100, CancellationToken.None);
        }
    }

    private static async Task<bool> IsReadyAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("/health/ready");
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task WaitForAsync(string what, TimeSpan timeout, Func<Task<bool>> done, Func<string> diagnostics)
    {
        var watch = Stopwatch.StartNew();
        while (!await done())
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"waited {timeout} for {what}:\n{diagnostics()}");
            }

            await Task.Delay(200);
        }
    }
}
