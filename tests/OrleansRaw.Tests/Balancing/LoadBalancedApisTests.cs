using System.Diagnostics;
using OrleansRaw.Tests.Cluster;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Balancing;

/// <summary>
/// Three API processes behind a real HAProxy, configured as <c>./run --apis 3</c> configures it, a silo process, and
/// both replicas lagging 300 ms. One user's requests go round robin over all three servers, and one server is killed
/// (SIGKILL) mid-run: its in-flight requests are lost, nothing else fails, and no own read is stale.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class LoadBalancedApisTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const int Apis = 3;
    private const int MaxRequests = 4000;
    private const string Victim = "api-2";
    private static readonly TimeSpan Lag = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan BeforeKill = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan AfterKill = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task OneUser_RoundRobinOverThreeApiServers_OneKilledMidRun_NoOwnReadIsStale_AndOnlyItsInFlightRequestsFail()
    {
        var run = await RunAsync(mode: "Lsn", healthChecked: true);

        Assert.All(Enumerable.Range(1, Apis), i => Assert.True(run.ServedBeforeKill.GetValueOrDefault($"api-{i}") > 0, $"api-{i} served nothing: not round robin"));
        Assert.True(run.ReadsAfterKill > 20, $"only {run.ReadsAfterKill} reads after the kill");
        Assert.Equal(0, run.Stale);
        Assert.Equal(0, run.FailedBeyondInFlight);
        Assert.True(run.VictimDownAfter < TimeSpan.FromSeconds(3), $"the killed server left the rotation after {run.VictimDownAfter}");
    }

    [Fact]
    public async Task WithoutHealthChecksOrRetries_AndWithUncheckedReplicaReads_TheSameRun_FailsAfterTheKill_AndReadsStale()
    {
        var run = await RunAsync(mode: "Eventual", healthChecked: false);

        Assert.True(run.FailedBeyondInFlight > 0, "a balancer that keeps sending to the killed server failed no request");
        Assert.True(run.Stale > 0, "unchecked replica reads at 300 ms lag were never stale: the lag was not real");
    }

    private async Task<Run> RunAsync(string mode, bool healthChecked)
    {
        var total = Stopwatch.StartNew();
        var id = Guid.NewGuid().ToString("N")[..8];
        var settings = Deployment.BaseSettings(new Dictionary<string, string?>
        {
            ["Orleans:ClusterId"] = "lb-" + id,
            ["Orleans:ServiceId"] = "orleansraw-lb-" + id,
            ["Orleans:UseHostedClient"] = "true",
            ["Consistency:Mode"] = mode,
        });
        await using var silo = await SiloProcess.StartAsync(settings);
        var apiSettings = new Dictionary<string, string?>(settings) { ["ASPNETCORE_ENVIRONMENT"] = "Development" };
        var apis = Enumerable.Range(0, Apis).Select(_ => AppProcess.Start(RepoPaths.WebApiDll(), apiSettings)).ToList();
        try
        {
            await Task.WhenAll(apis.Select(api => ApiReadiness.WaitForReplicaReadsAsync(api)));
            await using var balancer = await HaproxyBalancer.StartAsync([.. apis.Select(a => a.Address)], healthChecked);
            output.WriteLine($"{mode}, {(healthChecked ? "health-checked" : "unchecked")} balancer {balancer.Address} over "
                + $"{string.Join(", ", apis.Select((a, i) => $"api-{i + 1} {a.Address.Port} (pid {a.Pid})"))}, up after {total.Elapsed.TotalSeconds:F1} s");
            await fixture.Db.SetLagAsync(Lag);
            try
            {
                var user = await BrowserUser.SignInAsync(balancer.Address, TestUsers.NewId());
                using var stop = new CancellationTokenSource();
                var running = user.RunAsync(MaxRequests, stop.Token);
                await Task.Delay(BeforeKill);
                var killedAt = Stopwatch.GetTimestamp();
                await apis[1].KillAsync();
                var goneAt = Stopwatch.GetTimestamp();
                await Task.Delay(AfterKill);
                await stop.CancelAsync();
                // A request with no answer carries no X-Api-Server; the balancer's log names its server when it logged it.
                var requests = (await running).Select(r => r.Server is null ? r with { Server = balancer.LoggedServerOf(r.Id).Server } : r).ToList();
                var run = Run.Of(requests, killedAt, goneAt, balancer.FirstLogged($"apis/{Victim} is DOWN", killedAt));
                output.WriteLine(run.ToString());
                foreach (var failure in requests.Where(r => r.Failed).Take(20))
                {
                    output.WriteLine($"  failed: {failure.Tab} {(failure.Write ? "write" : "read")} {failure.Status} from {failure.Server ?? "-"}, sent "
                        + $"{Stopwatch.GetElapsedTime(killedAt, failure.Started).TotalMilliseconds:F0} ms after the kill, ended "
                        + $"{Stopwatch.GetElapsedTime(failure.Started, failure.Ended).TotalMilliseconds:F0} ms later; {balancer.LoggedServerOf(failure.Id).Line ?? failure.Error}");
                }

                output.WriteLine($"the test took {total.Elapsed.TotalSeconds:F1} s");
                return run;
            }
            catch
            {
                output.WriteLine("HAProxy:\n" + balancer.Output);
                throw;
            }
            finally
            {
                await fixture.Db.SetLagAsync(TimeSpan.Zero);
            }
        }
        finally
        {
            foreach (var api in apis)
            {
                await api.DisposeAsync();
            }
        }
    }

    /// <summary>What one run showed, counted from its requests around the kill.</summary>
    private sealed record Run(
        int Requests,
        IReadOnlyDictionary<string, int> ServedBeforeKill,
        int ReadsAfterKill,
        int Stale,
        string StaleByTab,
        TimeSpan Dying,
        int InFlightAtKill,
        int Unanswered,
        int FailedInFlight,
        int FailedBeyondInFlight,
        TimeSpan? VictimDownAfter,
        TimeSpan SlowestAfterKill,
        string ReadSources)
    {
        // In flight on the killed server: sent to it before its process was gone, ended after the SIGKILL. A request
        // with no answer at all names no server: HAProxy closes a kept-alive client connection unanswered (and logs
        // nothing) when the server dies under its request, so the client may retry it. Such a request counts as the
        // killed server's only within the same window, while that server was dying.
        public static Run Of(IReadOnlyList<BrowserUser.Request> requests, long killedAt, long goneAt, long? victimDownAt)
        {
            var inFlight = requests.Where(r => (r.Server == Victim || r.Status == 0 && r.Server is null) && r.Started < goneAt && r.Ended > killedAt).ToList();
            var failed = requests.Where(r => r.Failed).ToList();
            var reads = requests.Where(r => !r.Write && r.Status == 200).ToList();
            return new Run(
                requests.Count,
                requests.Where(r => r.Ended < killedAt && r.Server is not null).GroupBy(r => r.Server!).ToDictionary(g => g.Key, g => g.Count()),
                reads.Count(r => r.Started > killedAt),
                reads.Count(r => r.Stale),
                string.Join(", ", reads.GroupBy(r => r.Tab).Select(g => $"{g.Key} {g.Count(r => r.Stale)}/{g.Count()}")),
                Stopwatch.GetElapsedTime(killedAt, goneAt),
                inFlight.Count,
                inFlight.Count(r => r.Status == 0),
                failed.Count(inFlight.Contains),
                failed.Count(r => !inFlight.Contains(r)),
                victimDownAt is { } down ? Stopwatch.GetElapsedTime(killedAt, down) : null,
                requests.Where(r => r.Ended > killedAt).Select(r => Stopwatch.GetElapsedTime(r.Started, r.Ended)).DefaultIfEmpty().Max(),
                string.Join(", ", reads.GroupBy(r => r.Source?.Split(':')[0] ?? "?").Select(g => $"{g.Key} {g.Count()}")));
        }

        public override string ToString() =>
            $"{Requests} requests; before the kill served by {string.Join(", ", ServedBeforeKill.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value}"))}; "
            + $"{ReadsAfterKill} reads after it; own reads stale {Stale} ({StaleByTab}; from {ReadSources}); "
            + $"{Victim} took {Dying.TotalMilliseconds:F0} ms to die; {InFlightAtKill} request(s) in flight on it ({Unanswered} with no answer at all), "
            + $"{FailedInFlight} of them failed; {FailedBeyondInFlight} other failure(s); "
            + $"{Victim} DOWN in HAProxy {VictimDownAfter?.TotalMilliseconds.ToString("F0") ?? "never"} ms after the kill; "
            + $"slowest request after the kill {SlowestAfterKill.TotalMilliseconds:F0} ms";
    }
}
