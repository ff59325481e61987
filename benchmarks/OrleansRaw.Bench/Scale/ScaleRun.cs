using System.Diagnostics;
using System.Globalization;
using OrleansRaw.Bench.Harness;
using OrleansRaw.Bench.Routing;
using OrleansRaw.Bench.Workload;

namespace OrleansRaw.Bench.Scale;

/// <summary>Everything <c>./bench --scale</c> measured, saved as JSON and rendered by <see cref="ScaleReport"/>.</summary>
public sealed class ScaleResults
{
    public string Command { get; set; } = "";
    public bool Quick { get; set; }
    public DateTimeOffset StartedAt { get; set; } = DateTimeOffset.UtcNow;
    public TimeSpan Elapsed { get; set; }
    public string LoadAverageBefore { get; set; } = "";
    public string LoadAverageAfter { get; set; } = "";
    public List<(string Name, string Value)> Facts { get; set; } = [];
    public GrainMemoryResult? Memory { get; set; }
    public RedisFootprintResult? Redis { get; set; }
    public List<SiloCallResult> Calls { get; set; } = [];
    public double CallSeconds { get; set; }
    public int DecisionUsers { get; set; } = 256;
    public double WarmUpSeconds { get; set; }
}

/// <summary>
/// <c>./bench --scale</c>: what one active user costs and what silos can answer. On a one-silo cluster, the silo's
/// managed heap per user grain (many grains activated as API servers activate them) and Redis per user (users writing
/// once through the API); then, on 1, 2 and 3 silos in turn, routing decisions from a fresh lease per second with the
/// silos' CPU. The grains stay in memory for the whole run (no idle deactivation), so every figure counts all of them.
/// </summary>
public sealed class ScaleRun(BenchOptions options, BenchEnvironment env, Action<string> log)
{
    private const int WarmGrains = 1_000;
    private static readonly int[] SiloCounts = [1, 2, 3];
    private static readonly int[] InFlight = [1, 64];

    private long _nextUserId = 2_000_000_000;

    // A silo runs its first seconds on code the JIT has not optimised yet (tiered compilation).
    private TimeSpan WarmUp => options.Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(5);

    public async Task<ScaleResults> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var results = new ScaleResults { Command = options.Command, Quick = options.Quick, LoadAverageBefore = MachineFacts.LoadAverage() };
        var strategy = Strategy.Lsn100 with
        {
            Settings = new Dictionary<string, string>(Strategy.Lsn100.Settings) { ["Consistency:IdleDeactivation"] = "01:00:00" },
        };
        await using var replicas = new Replicas(env);
        await using var system = new BenchSystem(env, log);
        var cpu = await ProcessCpu.CreateAsync();
        using var api = new ApiTarget(new Uri(env.ApiUrl), new SocketsHttpHandler { MaxConnectionsPerServer = 64 }, TimeSpan.FromSeconds(30));
        await replicas.SetLagAsync(TimeSpan.Zero, cancellationToken);

        log($"scale plan: {options.ScaleGrains:N0} user grains on one silo for memory, {options.ScaleUsers:N0} users writing once for Redis, "
            + $"leased decisions on {string.Join(", ", SiloCounts)} silos ({string.Join(" and ", InFlight)} in flight, {options.DecisionDuration.TotalSeconds:0} s each)");
        await system.StartAsync(strategy, 1, cancellationToken);
        await using (var client = await DecisionBenchmark.ConnectAsync(env.Redis, system.ClusterId, BenchEnvironment.ServiceId, cancellationToken))
        {
            var position = await replicas.PrimaryPositionAsync(cancellationToken);
            results.Memory = await GrainMemory.MeasureAsync(client, new Uri($"http://127.0.0.1:{env.SiloMetricsBasePort}/metrics"),
                Users(WarmGrains), Users(options.ScaleGrains), position, moment => DumpAsync(system.SiloPids[0], moment), cancellationToken);
            log("memory: " + results.Memory);
        }

        results.Redis = await RedisFootprint.MeasureAsync(api, env.Redis, TakeUserIds(options.ScaleUsers), options.ScaleUsers, cancellationToken);
        log("redis: " + results.Redis);
        await system.StopAsync();

        results.CallSeconds = options.DecisionDuration.TotalSeconds;
        results.DecisionUsers = options.DecisionUsers;
        results.WarmUpSeconds = WarmUp.TotalSeconds;
        foreach (var silos in SiloCounts)
        {
            await system.StartAsync(strategy, silos, cancellationToken);
            await using (var client = await DecisionBenchmark.ConnectAsync(env.Redis, system.ClusterId, BenchEnvironment.ServiceId, cancellationToken))
            {
                var users = Users(options.DecisionUsers);
                await client.PrepareUsersAsync(users, await replicas.PrimaryPositionAsync(cancellationToken), cancellationToken);
                await replicas.WaitForCatchUpAsync(cancellationToken);
                await Task.Delay(300, cancellationToken); // the silos' snapshots see the replicas caught up (a poll is 50 ms)
                foreach (var result in await SiloScaling.MeasureAsync(client, silos, system.SiloPids, cpu, users, InFlight, WarmUp,
                    options.DecisionDuration, cancellationToken))
                {
                    results.Calls.Add(result);
                    log(result.ToString());
                }
            }

            await system.StopAsync();
        }

        results.LoadAverageAfter = MachineFacts.LoadAverage();
        results.Facts = [.. (await MachineFacts.CollectAsync(options.Root, [("PostgreSQL", await replicas.ServerVersionAsync(cancellationToken))])).Rows];
        results.Elapsed = clock.Elapsed;
        return results;
    }

    // With --gcdump, the silo's heap by type (dotnet-gcdump, a .NET tool) at each settled moment of the memory figure.
    private async Task DumpAsync(int silo, string moment)
    {
        if (!options.GcDump)
        {
            return;
        }

        var file = Path.Combine(env.RunDirectory, $"silo-{moment}.gcdump");
        await Shell.RunAsync("dotnet-gcdump", ["collect", "-p", silo.ToString(CultureInfo.InvariantCulture), "-o", file],
            timeout: TimeSpan.FromMinutes(5));
        log($"heap dump of the silo {moment} the activations: {file} (dotnet-gcdump report {file})");
    }

    private List<long> Users(int count)
    {
        var first = TakeUserIds(count);
        return [.. Enumerable.Range(0, count).Select(i => first + i)];
    }

    private long TakeUserIds(int count)
    {
        var first = _nextUserId;
        _nextUserId += (count / 10_000 + 1) * 10_000;
        return first;
    }
}
