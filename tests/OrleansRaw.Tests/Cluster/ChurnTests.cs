using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Cluster;

/// <summary>
/// Issue 23, item 6: three silo processes and three API processes, replica-1 lagging 300 ms and replica-2 2 s, and
/// twelve users each sending requests with no pause, round robin over the API servers directly (so every user's state
/// is leased to several servers at once). Every <see cref="Gap"/> something happens to the system, in this order, again
/// and again: the silo hosting the replica monitor is SIGKILLed, a silo joins, an API server is SIGSTOPped past a
/// reader lease and resumed, another silo is SIGKILLed, a silo joins, an API server is SIGKILLed and replaced, a silo
/// leaves gracefully, a silo joins. No own read may be stale, no read (own data, others' data) may go back in time, no
/// acknowledged post may be lost, no request may answer 5xx; after a silo is killed no read may wait more than
/// <see cref="MaxReadWait"/>, the share of reads sent to the primary must be back to its level before the kill within
/// <see cref="MaxElevated"/>, and from then on, up to 35 s after the kill (past Orleans' response timeout), no second
/// may have reads routed without a decision (<c>decision-unavailable</c>, <c>replicas-unavailable</c>), nor a read that
/// waited out the decision timeout.
/// </summary>
/// <remarks>
/// <c>ORLEANSRAW_CHURN_SECONDS</c> sets how long the traffic runs (120 s by default; the events repeat in that order);
/// <c>ORLEANSRAW_CHURN_TOKENS=1</c> makes the users send back the consistency token of each answer (by default they
/// do not, the stricter case). The report is printed and written to <c>.data/churn-report.txt</c>, every request to
/// <c>.data/churn-requests.csv</c>.
/// </remarks>
[Collection(SystemCollection.Name)]
public sealed partial class ChurnTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const int Silos = 3;
    private const int Apis = 3;
    private const int Users = 12;
    private const int PausedSlot = 1;
    private const int KilledSlot = 2;
    private static readonly TimeSpan Replica1Lag = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Replica2Lag = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Gap = TimeSpan.FromSeconds(12);

    // Past the reader lease (1 s), and past the time a write elsewhere waits out a silent holder.
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(2500);

    // As long as a health-checked balancer takes to stop sending to a server that does not answer.
    private static readonly TimeSpan TakenOutAfter = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan KilledApiDowntime = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxReadWait = TimeSpan.FromMilliseconds(2500);
    private static readonly TimeSpan MaxElevated = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("ORLEANSRAW_CHURN_SECONDS"), out var seconds) && seconds > 0 ? seconds : 120);
    private static readonly bool SendTokens = Environment.GetEnvironmentVariable("ORLEANSRAW_CHURN_TOKENS") == "1";

    private readonly List<string> _report = [];

    [Fact]
    public async Task UsersRoundRobinOverApiServers_WhileSilosAndServersChurn_SeeTheirWrites_NeverGoBack_AndLoseNothing()
    {
        var total = Stopwatch.StartNew();
        await using var system = await ChurnSystem.StartAsync();
        await fixture.Db.SetLagAsync("replica-1", Replica1Lag);
        await fixture.Db.SetLagAsync("replica-2", Replica2Lag);
        try
        {
            var ids = Enumerable.Range(0, Users).Select(_ => TestUsers.NewId()).ToList();
            using var signer = ApiClient.At(system.Servers[0].Address);
            var users = new List<ChurnUser>();
            foreach (var id in ids)
            {
                users.Add(new ChurnUser(id, await signer.TokenForAsync(id), [.. ids.Where(other => other != id)], system.Servers, SendTokens));
            }

            Report($"{Silos} silos ({system.Describe()}), {Apis} API servers ({system.DescribeApis()}), {Users} users, replica-1 "
                + $"{Replica1Lag.TotalMilliseconds} ms and replica-2 {Replica2Lag.TotalMilliseconds} ms behind, tokens "
                + $"{(SendTokens ? "sent back" : "not sent back")}, {Duration.TotalSeconds:F0} s of traffic; up after {total.Elapsed.TotalSeconds:F1} s");

            using var stop = new CancellationTokenSource();
            var origin = Stopwatch.GetTimestamp();
            var traffic = users.Select(u => Task.Run(() => u.RunAsync(stop.Token))).ToList();
            try
            {
                Func<Task>[] cycle =
                [
                    () => system.KillSiloAsync(monitorsSilo: true),
                    system.JoinSiloAsync,
                    () => system.PauseApiAsync(PausedSlot, Pause, TakenOutAfter),
                    () => system.KillSiloAsync(monitorsSilo: false),
                    system.JoinSiloAsync,
                    () => system.KillApiAsync(KilledSlot, KilledApiDowntime),
                    system.LeaveSiloAsync,
                    system.JoinSiloAsync,
                ];
                // Each event a gap after the one before took effect (a joining silo once it is ready): the whole cycle at
                // least once, then on while an event's window fits in the run.
                var next = Gap;
                for (var n = 0; n < cycle.Length || next + ChurnAnalysis.After <= Duration; n++)
                {
                    await DelayUntilAsync(origin, next);
                    await cycle[n % cycle.Length]();
                    var e = system.Events[^1];
                    Report($"{Seconds(Stopwatch.GetElapsedTime(origin))} s: {e.Kind} {e.Target} at {Seconds(Stopwatch.GetElapsedTime(origin, e.At))} s, {e.Detail}");
                    next = Stopwatch.GetElapsedTime(origin, e.At) + Gap;
                }

                var last = system.Events.Max(e => Stopwatch.GetElapsedTime(origin, e.At) + ChurnAnalysis.WatchOf(e));
                await DelayUntilAsync(origin, last > Duration ? last : Duration);
            }
            finally
            {
                await stop.CancelAsync();
            }

            var requests = (await Task.WhenAll(traffic)).SelectMany(r => r).ToList();
            var onPrimary = await PostsOnPrimaryAsync(ids);
            var analysis = new ChurnAnalysis(requests, system.Events, system.Outages, onPrimary);
            foreach (var line in analysis.Lines(origin))
            {
                Report(line);
            }

            Report($"API processes that exited during their start and were started again: {system.FailedApiStarts}");
            foreach (var line in system.ApiWarnings())
            {
                Report(line);
            }

            Report($"the test took {total.Elapsed.TotalSeconds:F0} s");
            var data = Directory.CreateDirectory(Path.Combine(RepoPaths.Root, ".data")).FullName;
            await File.WriteAllLinesAsync(Path.Combine(data, "churn-report.txt"), _report);
            await File.WriteAllLinesAsync(Path.Combine(data, "churn-requests.csv"), ChurnAnalysis.Csv(requests, origin));

            var violations = new List<string>();
            Check(violations, analysis.Stale.Count == 0, $"{analysis.Stale.Count} stale own reads");
            Check(violations, analysis.OwnRegressions.Count == 0, $"{analysis.OwnRegressions.Count} monotonic regressions of own data");
            Check(violations, analysis.OthersRegressions.Count == 0, $"{analysis.OthersRegressions.Count} monotonic regressions of others' data");
            Check(violations, analysis.Lost.Count == 0, $"{analysis.Lost.Count} acknowledged posts lost");
            Check(violations, analysis.ServerErrors == 0, $"{analysis.ServerErrors} answers 5xx");
            Check(violations, analysis.UnexplainedFailures.Count == 0, $"{analysis.UnexplainedFailures.Count} requests with no answer that no kill explains");
            Check(violations, analysis.ReadsAnswered > 1000, $"only {analysis.ReadsAnswered} reads answered: the run proves little");
            var fromReplicas = (int)Math.Round(analysis.ReadsAnswered * (1 - analysis.PrimaryShare));
            Check(violations, fromReplicas >= 1000, $"only {fromReplicas} reads were answered by a replica: the run proves little");
            foreach (var window in analysis.Windows.Where(w => w.Event.Kind == ChurnEvent.SiloKilled))
            {
                var what = $"after the {window.Event.Kind} of {window.Event.Target}";
                Check(violations, window.SlowestRead is not { } slow || slow.Latency <= MaxReadWait,
                    $"{what} a read waited {window.SlowestRead?.Latency.TotalSeconds:F1} s (at most {MaxReadWait.TotalSeconds} s)");
                Check(violations, window.ElevatedFor is { } up && up <= MaxElevated,
                    $"{what} the primary share stayed above its level for {(window.ElevatedFor is { } e ? $"{e.TotalSeconds:F0} s" : "the whole window")} (at most {MaxElevated.TotalSeconds} s)");
                Check(violations, window.DecisionsTimedOutUntil is not { } timedOut || timedOut <= MaxElevated,
                    $"{what} reads of {window.UsersWaitingOutDecisions} users waited out the decision timeout, the last {window.DecisionsTimedOutUntil?.TotalSeconds:F0} s later (at most {MaxElevated.TotalSeconds} s)");
                Check(violations, window.UndecidedUntil is not { } until || until <= MaxElevated,
                    $"{what} reads were still routed without a decision {window.UndecidedUntil?.TotalSeconds:F0} s later (at most {MaxElevated.TotalSeconds} s)");
            }

            Assert.True(violations.Count == 0, string.Join("\n", violations));
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    private void Report(string line)
    {
        _report.Add(line);
        output.WriteLine(line);
    }

    private static void Check(List<string> violations, bool holds, string violation)
    {
        if (!holds)
        {
            violations.Add(violation);
        }
    }

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);

    private static async Task DelayUntilAsync(long origin, TimeSpan at)
    {
        var left = at - Stopwatch.GetElapsedTime(origin);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }
    }

    private async Task<HashSet<long>> PostsOnPrimaryAsync(IReadOnlyList<long> users)
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        return [.. await connection.QueryAsync<long>("SELECT id FROM posts WHERE user_id = ANY(@users)", new { users = users.ToArray() })];
    }

    /// <summary>
    /// The silo and API processes of a churn run, and what the test did to them: every event, and every server
    /// outage (a pause, a kill until the replacement took the slot).
    /// </summary>
    private sealed partial class ChurnSystem : IAsyncDisposable
    {
        private const string MonitorStarted = "Replica monitor started";

        private readonly Dictionary<string, string?> _settings;
        private readonly Dictionary<string, string?> _apiSettings;
        private readonly List<(string Name, SiloProcess Process)> _silos = [];
        private readonly List<AppProcess> _apis = [];
        private readonly AppProcess[] _slots = new AppProcess[Apis];
        private int _siloNames;
        private int _restarts;
        private int _failedApiStarts;

        private ChurnSystem(Dictionary<string, string?> settings)
        {
            _settings = settings;
            _apiSettings = new Dictionary<string, string?>(settings) { ["ASPNETCORE_ENVIRONMENT"] = "Development" };
        }

        public ChurnServers Servers { get; private set; } = null!;

        public List<ChurnEvent> Events { get; } = [];

        public List<ChurnOutage> Outages { get; } = [];

        public static async Task<ChurnSystem> StartAsync()
        {
            var id = Guid.NewGuid().ToString("N")[..8];
            var system = new ChurnSystem(Deployment.BaseSettings(new Dictionary<string, string?>
            {
                ["Orleans:ClusterId"] = "churn-" + id,
                ["Orleans:ServiceId"] = "orleansraw-churn-" + id,
                ["Orleans:UseHostedClient"] = "true",
            }));
            try
            {
                await Task.WhenAll(Enumerable.Range(0, Silos).Select(_ => system.StartSiloAsync()));
                var apis = await Task.WhenAll(Enumerable.Range(0, Apis).Select(_ => system.StartApiAsync()));
                apis.CopyTo(system._slots, 0);
                system.Servers = new ChurnServers(system._slots.Select((api, slot) => new ChurnServers.Server($"api-{slot + 1}", api.Address)));
                return system;
            }
            catch
            {
                await system.DisposeAsync();
                throw;
            }
        }

        public string Describe()
        {
            lock (_silos)
            {
                return string.Join(", ", _silos.Select(s => $"{s.Name} port {s.Process.SiloPort} pid {s.Process.Pid}{(s == MonitorsSilo() ? ", the monitor's" : "")}"));
            }
        }

        public string DescribeApis() => string.Join(", ", Enumerable.Range(0, Apis).Select(slot => $"{Servers[slot].Name} {Servers[slot].Address.Port} pid {_slots[slot].Pid}"));

        /// <summary>SIGKILL to the silo that hosts the replica monitor (the last to log its start), or to the oldest other.</summary>
        public async Task KillSiloAsync(bool monitorsSilo)
        {
            (string Name, SiloProcess Process) victim;
            bool hostsMonitor;
            bool monitorKnown;
            lock (_silos)
            {
                var monitors = MonitorsSilo();
                monitorKnown = monitors is not null;
                victim = monitorsSilo && monitors is { } m ? m : _silos.First(s => s != monitors);
                hostsMonitor = victim == monitors;
                _silos.Remove(victim);
            }

            var at = Stopwatch.GetTimestamp();
            victim.Process.Kill();
            Events.Add(new ChurnEvent(ChurnEvent.SiloKilled, victim.Name, at, hostsMonitor ? "hosted the replica monitor" : monitorKnown ? "not the monitor's" : "no silo logged the monitor's start"));
            await victim.Process.DisposeAsync();
        }

        public async Task JoinSiloAsync()
        {
            var started = Stopwatch.GetTimestamp();
            var (name, silo) = await StartSiloAsync();
            Events.Add(new ChurnEvent(ChurnEvent.SiloJoined, name, Stopwatch.GetTimestamp(),
                $"ready {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s after its start, port {silo.SiloPort}"));
        }

        /// <summary>SIGTERM to the oldest silo: it leaves the cluster in order, handing its grains over.</summary>
        public async Task LeaveSiloAsync()
        {
            (string Name, SiloProcess Process) leaving;
            bool hostsMonitor;
            lock (_silos)
            {
                leaving = _silos[0];
                hostsMonitor = leaving == MonitorsSilo();
                _silos.RemoveAt(0);
            }

            var at = Stopwatch.GetTimestamp();
            await leaving.Process.DisposeAsync();
            Events.Add(new ChurnEvent(ChurnEvent.SiloLeft, leaving.Name, at,
                $"gone after {Stopwatch.GetElapsedTime(at).TotalSeconds:F1} s{(hostsMonitor ? ", hosted the replica monitor" : "")}"));
        }

        /// <summary>SIGSTOP to the slot's server for <paramref name="pause"/>; out of the rotation after <paramref name="takenOutAfter"/>, back in at SIGCONT.</summary>
        public async Task PauseApiAsync(int slot, TimeSpan pause, TimeSpan takenOutAfter)
        {
            var server = Servers[slot];
            var at = Stopwatch.GetTimestamp();
            await _slots[slot].PauseAsync();
            Events.Add(new ChurnEvent(ChurnEvent.ApiPaused, server.Name, at, $"for {pause.TotalSeconds:F1} s, out of the rotation after {takenOutAfter.TotalMilliseconds:F0} ms"));
            await Task.Delay(takenOutAfter);
            Servers.Set(slot, server with { InRotation = false });
            await Task.Delay(pause - takenOutAfter);
            await _slots[slot].ResumeAsync();
            Outages.Add(new ChurnOutage(server.Name, at, Stopwatch.GetTimestamp(), Killed: false));
            Servers.Set(slot, server with { InRotation = true });
        }

        /// <summary>SIGKILL to the slot's server; after <paramref name="downtime"/> a new one starts and takes the slot once it reads from replicas.</summary>
        public async Task KillApiAsync(int slot, TimeSpan downtime)
        {
            var server = Servers[slot];
            var at = Stopwatch.GetTimestamp();
            await _slots[slot].KillAsync();
            Events.Add(new ChurnEvent(ChurnEvent.ApiKilled, server.Name, at, $"replaced after {downtime.TotalSeconds:F0} s"));
            await Task.Delay(downtime);
            var replacement = await StartApiAsync();
            _slots[slot] = replacement;
            var name = $"api-{slot + 1}.{Interlocked.Increment(ref _restarts) + 1}";
            Servers.Set(slot, new ChurnServers.Server(name, replacement.Address));
            Outages.Add(new ChurnOutage(server.Name, at, Stopwatch.GetTimestamp(), Killed: true));
            Events[^1] = Events[^1] with { Detail = $"{name} on port {replacement.Address.Port} took its place {Stopwatch.GetElapsedTime(at).TotalSeconds:F1} s after the kill" };
        }

        /// <summary>Per API server, how often it read the primary for want of a decision or could not report a read, and why.</summary>
        public IEnumerable<string> ApiWarnings()
        {
            foreach (var (api, i) in _apis.Select((api, i) => (api, i)))
            {
                var unavailable = api.LinesContaining("Routing decision unavailable");
                var unreported = api.LinesContaining("Could not tell user");
                var failedWrites = api.LinesContaining("Recording write of user");
                var why = unavailable.Concat(unreported).Concat(failedWrites)
                    .Select(line => UserIds().Replace(line.Trim(), "N"))
                    .Select(line => line.Length > 160 ? line[..160] : line)
                    .GroupBy(line => line).OrderByDescending(g => g.Count()).Take(3);
                yield return $"API process {i + 1} (port {api.Address.Port}): decision unavailable {unavailable.Count}, read not reported to the grain "
                    + $"{unreported.Count}, write recording retried {failedWrites.Count}"
                    + string.Concat(why.Select(g => $"\n    {g.Count()} x {g.Key}"));
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var api in _apis)
            {
                await api.DisposeAsync();
            }

            foreach (var (_, silo) in _silos)
            {
                await silo.DisposeAsync();
            }
        }

        private async Task<(string Name, SiloProcess Process)> StartSiloAsync()
        {
            var silo = await SiloProcess.StartAsync(_settings);
            lock (_silos)
            {
                var entry = ($"silo-{++_siloNames}", silo);
                _silos.Add(entry);
                return entry;
            }
        }

        /// <summary>How many API processes exited during their start (on a loaded machine, the primary may not answer a start's migration check in time) and were started again.</summary>
        public int FailedApiStarts => _failedApiStarts;

        private async Task<AppProcess> StartApiAsync()
        {
            for (var attempt = 1; ; attempt++)
            {
                var api = AppProcess.Start(RepoPaths.WebApiDll(), _apiSettings);
                lock (_apis)
                {
                    _apis.Add(api);
                }

                try
                {
                    await ApiReadiness.WaitForReplicaReadsAsync(api);
                    return api;
                }
                catch (InvalidOperationException) when (attempt < 3 && api.HasExited)
                {
                    Interlocked.Increment(ref _failedApiStarts);
                }
            }
        }

        [GeneratedRegex("[0-9]{5,}")]
        private static partial Regex UserIds();

        // The monitor logs its start on activation: the silo that logged it last hosts it now.
        private (string Name, SiloProcess Process)? MonitorsSilo() =>
            _silos.Where(s => s.Process.LastLogged(MonitorStarted) is not null).OrderBy(s => s.Process.LastLogged(MonitorStarted)).Select(s => ((string, SiloProcess)?)s).LastOrDefault();
    }
}
