using System.Diagnostics;
using System.Globalization;
using OrleansRaw.Bench.Cost;
using OrleansRaw.Bench.Harness;
using OrleansRaw.Bench.Results;
using OrleansRaw.Bench.Routing;
using OrleansRaw.Bench.Workload;

namespace OrleansRaw.Bench;

/// <summary>
/// The whole benchmark: per repetition, every strategy on a fresh start of the silos and the API, every lag profile on
/// the same seeded plan; for Direct, Eventual and Lsn (wait 100 ms) the read-right-after-a-write probe at every lag
/// profile and the mixed workload's capacity with CPU per operation; the routing decision at 1 and 2 silos; the API's
/// capacity for own reads with and without routing.
/// </summary>
public sealed class BenchRun(BenchOptions options, BenchEnvironment env, Action<string> log)
{
    private const int Silos = 2;
    private const int CapacityClients = 8;
    private const int ThroughputClients = 32;
    private const int DecisionUsers = 256;
    private static readonly int[] DecisionConcurrency = [1, 32];
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    private long _nextUserId = 1_000_000_000;

    public async Task<BenchResults> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var workload = options.Quick ? WorkloadSettings.Quick(options.Users, options.Seed) : WorkloadSettings.Full(options.Users, options.Seed);
        var results = new BenchResults
        {
            Command = options.Command,
            Seed = options.Seed,
            Users = options.Users,
            Repetitions = options.Repetitions,
            Quick = options.Quick,
            ThinkTimes = workload.ThinkTimes,
            Strategies = [.. options.Strategies.Select(s => s.Label)],
            LagProfiles = [.. options.Lags.Select(l => (l.Key, l.Describe()))],
            LoadAverageBefore = MachineFacts.LoadAverage(),
            ProbeIterations = options.ProbeIterations,
            CapacityClients = CapacityClients,
            CapacitySeconds = options.CapacityDuration.TotalSeconds,
        };

        await using var replicas = new Replicas(env);
        await using var system = new BenchSystem(env, log);
        await using var pgpool = new Pgpool(env, log);
        using var api = new ApiTarget(new Uri(env.ApiUrl),
            new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) }, TimeSpan.FromSeconds(30));
        var runner = new WorkloadRunner(api);
        var cpu = await ProcessCpu.CreateAsync();
        var routedMode = options.Strategies.Contains(Strategy.Lsn100) ? Strategy.Lsn100 : null;
        var costed = options.Strategies.Where(s => s == Strategy.Direct || s == Strategy.Eventual || s == routedMode).ToList();

        log($"plan: {options.Repetitions} repetition(s) × {options.Strategies.Count} strategies × {options.Lags.Count} lag profile(s), "
            + $"{options.Users} users, think times {string.Join(", ", workload.ThinkTimes.Select(Format.Think))}, seed {options.Seed}; "
            + $"for {string.Join(", ", costed.Select(s => s.Key))}: {options.ProbeIterations} probe iterations per lag profile and "
            + $"{options.CapacityDuration.TotalSeconds:0} s of mixed workload with {CapacityClients} clients");
        for (var rep = 1; rep <= options.Repetitions; rep++)
        {
            foreach (var strategy in options.Strategies)
            {
                if (strategy.UsesPgpool)
                {
                    await pgpool.StartAsync(strategy.PgpoolWriteMode!, cancellationToken);
                }
                else
                {
                    await pgpool.StopAsync();
                }

                await replicas.SetLagAsync(TimeSpan.Zero, cancellationToken);
                await system.StartAsync(strategy, Silos, cancellationToken);
                await WarmUpAsync(runner, cancellationToken);
                for (var lagIndex = 0; lagIndex < options.Lags.Count; lagIndex++)
                {
                    var lag = options.Lags[lagIndex];
                    await replicas.SetLagAsync(lag.Steady, cancellationToken);
                    await Task.Delay(Settle, cancellationToken);
                    var plan = WorkloadPlan.Create(workload with { Seed = HashCode.Combine(options.Seed, rep, lagIndex) & int.MaxValue });
                    var cell = await RunCellAsync(strategy, lag, rep, plan, runner, replicas, pgpool, results, cancellationToken);
                    results.Cells.Add(cell);
                    log(cell.ToString());
                }

                // Measured after the cells, on a warmed-up system.
                if (costed.Contains(strategy))
                {
                    await ProbeAsync(strategy, rep, api, replicas, results, cancellationToken);
                    await replicas.SetLagAsync(TimeSpan.Zero, cancellationToken);
                    await CaughtUpAsync(replicas, cancellationToken);
                    var capacity = await MixedCapacity.MeasureAsync(api, TakeUserIds(CapacityClients), CapacityClients, options.CapacityWarmUp,
                        options.CapacityDuration, cpu, await CpuComponentsAsync(system, replicas, cancellationToken), strategy.Label, rep,
                        HashCode.Combine(options.Seed, rep) & int.MaxValue, cancellationToken);
                    results.Capacity.Add(capacity);
                    log(capacity.ToString());
                }

                // With the replicas level again.
                if (costed.Contains(strategy))
                {
                    await replicas.SetLagAsync(TimeSpan.Zero, cancellationToken);
                    var throughput = await ApiThroughput.MeasureAsync(api, TakeUserIds(ThroughputClients), ThroughputClients, WarmUp, options.ThroughputDuration,
                        AfterWritesAsync, strategy.Label, rep, cancellationToken);
                    results.Throughput.Add(throughput);
                    log($"{strategy.Label}: API capacity {throughput.PerSecond:F0} req/s with {ThroughputClients} clients, p50 {throughput.P50Ms:F1} ms, p99 {throughput.P99Ms:F1} ms");
                }

                if (strategy == routedMode)
                {
                    await MeasureDecisionsAsync(results, system, replicas, rep, cancellationToken);
                }

                await system.StopAsync();
            }

            if (routedMode is not null)
            {
                await pgpool.StopAsync();
                await replicas.SetLagAsync(TimeSpan.Zero, cancellationToken);
                await system.StartAsync(routedMode, 1, cancellationToken);
                await MeasureDecisionsAsync(results, system, replicas, rep, cancellationToken);
                await system.StopAsync();
            }
        }

        await pgpool.StopAsync();
        await replicas.SetLagAsync(TimeSpan.Zero, cancellationToken);
        results.CapacityRatios = CostComparison.CapacityRatios(results);
        results.Targets = CostComparison.Targets(results);
        foreach (var ratio in results.CapacityRatios)
        {
            log($"{ratio.Strategy} ÷ Direct on the mixed workload: throughput ×{ratio.Throughput:0.00}, CPU per operation ×{ratio.CpuPerOp:0.00}, "
                + $"primary CPU per operation ×{ratio.PrimaryCpuPerOp:0.00}");
        }

        foreach (var target in results.Targets)
        {
            log($"target: {target.Target}: {target.Measured}{(target.Met is { } met ? met ? " (within)" : " (NOT within)" : "")}");
        }

        results.LoadAverageAfter = MachineFacts.LoadAverage();
        results.Facts = (await MachineFacts.CollectAsync(options.Root, [("PostgreSQL", await replicas.ServerVersionAsync(cancellationToken))])).Rows;
        results.Elapsed = clock.Elapsed;
        return results;

        Task AfterWritesAsync(CancellationToken ct) => CaughtUpAsync(replicas, ct);
    }

    private async Task<CellResult> RunCellAsync(Strategy strategy, LagProfile lag, int rep, WorkloadPlan plan, WorkloadRunner runner, Replicas replicas,
        Pgpool pgpool, BenchResults results, CancellationToken cancellationToken)
    {
        var actions = new List<TimedAction>();
        if (lag.Spike is { } spike)
        {
            actions.Add(new TimedAction(lag.SpikeFrom, "spike", ct => replicas.SetLagAsync(spike, ct)));
            actions.Add(new TimedAction(lag.SpikeFrom + lag.SpikeFor, "spike over", ct => replicas.SetLagAsync(lag.Steady, ct)));
        }

        var countsBefore = strategy.UsesPgpool ? await pgpool.SelectCountsAsync(cancellationToken) : null;
        var walBefore = await replicas.WalBytesAsync(cancellationToken);
        var deadline = plan.IdealDuration * 2 + TimeSpan.FromSeconds(60);
        var run = await runner.RunAsync(plan, TakeUserIds(plan.Users.Count), actions, deadline, cancellationToken);
        var walAfter = await replicas.WalBytesAsync(cancellationToken);
        results.WalBytesPerSecond.Add((walAfter - walBefore) / run.Elapsed.TotalSeconds);

        long? standbyReads = null;
        if (countsBefore is not null)
        {
            var countsAfter = await pgpool.SelectCountsAsync(cancellationToken);
            standbyReads = countsAfter.Skip(1).Sum() - countsBefore.Skip(1).Sum();
            log($"pgpool SELECTs per node during the cell: {string.Join(", ", countsAfter.Zip(countsBefore).Select((c, i) => $"node {i} +{c.First - c.Second}"))}");
        }

        return CellResult.From(strategy.Label, lag.Key, rep, run, standbyReads);
    }

    // One user at a time, per lag profile as the cells have it (the spike at the same moments from the probe's start).
    private async Task ProbeAsync(Strategy strategy, int rep, ApiTarget api, Replicas replicas, BenchResults results, CancellationToken cancellationToken)
    {
        foreach (var lag in options.Lags)
        {
            await replicas.SetLagAsync(lag.Steady, cancellationToken);
            await Task.Delay(Settle, cancellationToken);
            var actions = new List<TimedAction>();
            if (lag.Spike is { } spike)
            {
                actions.Add(new TimedAction(lag.SpikeFrom, "spike", ct => replicas.SetLagAsync(spike, ct)));
                actions.Add(new TimedAction(lag.SpikeFrom + lag.SpikeFor, "spike over", ct => replicas.SetLagAsync(lag.Steady, ct)));
            }

            (TimeSpan, TimeSpan)? spikeWindow = lag.Spike is null ? null : (lag.SpikeFrom, lag.SpikeFrom + lag.SpikeFor);
            var probe = await ReadAfterWriteProbe.RunAsync(api, TakeUserIds(1), options.ProbeIterations, actions, spikeWindow, strategy.Label, lag.Key, rep, cancellationToken);
            results.Probes.Add(probe);
            log(probe.ToString());
        }
    }

    // What runs the system under test, by PID: the API, the silos, Redis, and each PostgreSQL node with its processes.
    private async Task<IReadOnlyList<CpuComponent>> CpuComponentsAsync(BenchSystem system, Replicas replicas, CancellationToken cancellationToken)
    {
        var (primary, standbys) = await replicas.PostmasterPidsAsync(cancellationToken);
        var info = await Shell.RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", env.RedisPort.ToString(CultureInfo.InvariantCulture), "INFO", "server"],
            cancellationToken: cancellationToken);
        var redis = info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("process_id:", StringComparison.Ordinal))?["process_id:".Length..]
            ?? throw new InvalidOperationException("redis-cli INFO server did not name Redis's process id:\n" + info);
        return
        [
            new CpuComponent(CapacityResult.Api, [system.ApiPid]),
            new CpuComponent(CapacityResult.Silos, system.SiloPids),
            new CpuComponent(CapacityResult.Redis, [int.Parse(redis, CultureInfo.InvariantCulture)]),
            new CpuComponent(CapacityResult.Primary, [primary], WithChildren: true),
            new CpuComponent(CapacityResult.Replicas, standbys, WithChildren: true),
        ];
    }

    // A fresh start compiles, opens connection pools and activates grains on its first requests; without this the first
    // cell of every strategy would time that instead of routing.
    private async Task WarmUpAsync(WorkloadRunner runner, CancellationToken cancellationToken)
    {
        var settings = new WorkloadSettings(Math.Min(options.Users, 100), [TimeSpan.Zero, TimeSpan.FromMilliseconds(100)], options.Seed + 1, TimeSpan.FromMilliseconds(500));
        var plan = WorkloadPlan.Create(settings);
        var run = await runner.RunAsync(plan, TakeUserIds(plan.Users.Count), null, TimeSpan.FromSeconds(60), cancellationToken);
        log($"warm-up: {run.Samples.Count} requests in {run.Elapsed.TotalSeconds:F1} s (not counted)");
    }

    private async Task MeasureDecisionsAsync(BenchResults results, BenchSystem system, Replicas replicas, int rep, CancellationToken cancellationToken)
    {
        var name = system.Silos == 1 ? "1 silo" : $"{system.Silos} silos";
        await using var client = await DecisionBenchmark.ConnectAsync(env.Redis, system.ClusterId, BenchEnvironment.ServiceId, cancellationToken);
        var first = TakeUserIds(DecisionUsers);
        var users = Enumerable.Range(0, DecisionUsers).Select(i => first + i).ToList();
        await client.PrepareUsersAsync(users, await replicas.PrimaryPositionAsync(cancellationToken), cancellationToken);
        await CaughtUpAsync(replicas, cancellationToken);
        foreach (var concurrency in DecisionConcurrency)
        {
            var result = await client.MeasureAsync(name, rep, users, concurrency, WarmUp, options.DecisionDuration, cancellationToken);
            results.Decisions.Add(result);
            log($"routing decision, {name}, {concurrency} in flight: {result.PerSecond:F0}/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, {result.Failed} off target");
        }
    }

    // Replicas have the writes, and the silos' snapshots have seen them (the monitor polls every 50 ms).
    private static async Task CaughtUpAsync(Replicas replicas, CancellationToken cancellationToken)
    {
        await replicas.WaitForCatchUpAsync(cancellationToken);
        await Task.Delay(300, cancellationToken);
    }

    private long TakeUserIds(int count)
    {
        var first = _nextUserId;
        // Round up to a fresh block, so a cell's users are easy to tell apart in the database.
        _nextUserId += (count / 10_000 + 1) * 10_000;
        return first;
    }
}
