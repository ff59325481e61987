using System.Globalization;
using System.Text;
using OrleansRaw.Bench.Harness;
using OrleansRaw.Bench.Results;
using OrleansRaw.Bench.Routing;

namespace OrleansRaw.Bench.Report;

/// <summary>Writes <c>benchmarks.md</c>: how the run was made, then every figure as the median of the repetitions with min–max.</summary>
public static class MarkdownReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <param name="results">The run's figures.</param>
    /// <param name="chartFile">The chart's file name, next to the report.</param>
    /// <param name="notes">Hand-written prose placed after the targets (what each change bought), or null.</param>
    public static string Render(BenchResults results, string chartFile, string? notes = null)
    {
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = Invariant;
        try
        {
            return RenderInvariant(results, chartFile, notes);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    private static string RenderInvariant(BenchResults results, string chartFile, string? notes)
    {
        var md = new StringBuilder();
        var baseline = results.Strategies[0];
        md.AppendLine("# Benchmarks");
        md.AppendLine();
        md.AppendLine(($"_Written by `{results.Command}` on {results.Started:yyyy-MM-dd HH:mm} UTC; the run took {results.Elapsed.TotalMinutes:0.0} min. "
            + "Do not edit by hand: run the command again._"));
        md.AppendLine();
        if (results.RenderedLater)
        {
            md.AppendLine("_The text around the figures was rendered again later from the run's saved results (`--render`); the figures are the run's._");
            md.AppendLine();
        }

        if (results.Quick)
        {
            md.AppendLine("> **Smoke run** (`--quick`): few users, short think times, one repetition. The figures only show that the tool works.");
            md.AppendLine();
        }

        md.AppendLine(($"**Command:** `{results.Command}` · **seed** {results.Seed} · **users** {results.Users} · **repetitions** {results.Repetitions} "
            + $"(every figure is the median of the repetitions, with min–max in brackets) · **think times** {string.Join(", ", results.ThinkTimes.Select(Format.Think))}"));
        md.AppendLine();
        md.AppendLine("| Machine | |");
        md.AppendLine("|---|---|");
        foreach (var (name, value) in results.Facts)
        {
            md.AppendLine($"| {name} | {value.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        md.AppendLine($"| Load average (1 min) before / after | {results.LoadAverageBefore} / {results.LoadAverageAfter} (the machine is shared with other work) |");
        md.AppendLine();
        md.AppendLine($"![Stale own reads, primary share of reads and own-read p99 latency per strategy and lag profile]({chartFile})");
        md.AppendLine();
        AppendMethod(md, results);
        AppendTargets(md, results);
        if (!string.IsNullOrWhiteSpace(notes))
        {
            md.AppendLine(notes.TrimEnd());
            md.AppendLine();
        }

        foreach (var (lag, description) in results.LagProfiles)
        {
            md.AppendLine($"## Lag {lag}");
            md.AppendLine();
            md.AppendLine($"Both replicas: {description}.");
            md.AppendLine();
            md.AppendLine("| Strategy | Stale own reads | Stale % | Primary share of all reads | Primary share of own reads | Own read p50 ms | Own read p99 ms | Foreign read p50 ms | Foreign read p99 ms | Throughput req/s | Errors |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var strategy in results.Strategies)
            {
                var cells = results.CellsOf(strategy, lag).ToList();
                if (cells.Count == 0)
                {
                    continue;
                }

                md.AppendLine(string.Join(" | ",
                    "| " + strategy,
                    Cell(cells.Select(c => (double)c.Stale), "0") + ($" of {Stats.Summarize(cells.Select(c => (double)c.OwnReads)).Median:0}"),
                    Cell(cells.Select(c => c.StalePercent), "0.0"),
                    PercentCell(cells.Select(c => c.PrimaryShare)),
                    PercentCell(cells.Select(c => c.OwnPrimaryShare)),
                    Cell(cells.Select(c => c.OwnP50), "0.0"),
                    Cell(cells.Select(c => c.OwnP99), "0.0"),
                    Cell(cells.Select(c => c.ForeignP50), "0.0"),
                    Cell(cells.Select(c => c.ForeignP99), "0.0"),
                    Cell(cells.Select(c => c.Throughput), "0"),
                    cells.Sum(c => c.Errors).ToString(Invariant)) + " |");
            }

            md.AppendLine();
            md.AppendLine(($"Ratios to {baseline} at this lag, same run (ratio of medians; below 1 is fewer stale reads, lower latency or less throughput):"));
            md.AppendLine();
            md.AppendLine("| Strategy | Stale own reads | Own read p50 | Own read p99 | Foreign read p50 | Foreign read p99 | Throughput |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            var baseCells = results.CellsOf(baseline, lag).ToList();
            foreach (var strategy in results.Strategies.Skip(1))
            {
                var cells = results.CellsOf(strategy, lag).ToList();
                if (cells.Count == 0 || baseCells.Count == 0)
                {
                    continue;
                }

                md.AppendLine(string.Join(" | ",
                    "| " + strategy,
                    Ratio(cells, baseCells, c => c.Stale),
                    Ratio(cells, baseCells, c => c.OwnP50),
                    Ratio(cells, baseCells, c => c.OwnP99),
                    Ratio(cells, baseCells, c => c.ForeignP50),
                    Ratio(cells, baseCells, c => c.ForeignP99),
                    Ratio(cells, baseCells, c => c.Throughput)) + " |");
            }

            md.AppendLine();
        }

        AppendStaleByThink(md, results);
        AppendReasons(md, results);
        AppendProbe(md, results);
        AppendCapacity(md, results);
        AppendRouting(md, results);
        AppendErrors(md, results);
        return md.ToString();
    }

    private static void AppendMethod(StringBuilder md, BenchResults results)
    {
        var thinks = string.Join(", ", results.ThinkTimes.Select(Format.Think));
        md.AppendLine("## How it is measured");
        md.AppendLine();
        md.AppendLine(($"- **Workload.** {results.Users} signed-in users at once, starting within the first second. Each user takes {results.ThinkTimes.Count} steps: "
            + "one write (a post, a profile update or a cart item; the kind drawn from the seed), a pause (the *think time*: each of "
            + $"{thinks} once per user, in an order drawn from the seed), a read of the same data back (`GET /api/posts`, "
            + "`GET /api/profile/{own id}` or `GET /api/cart`), then a read of another user's posts or profile (`GET /api/users/{id}/posts`, "
            + "`GET /api/profile/{id}`). All over HTTP on loopback, each user calling through the generated client "
            + "(`clients/OrleansRaw.Client`, Kiota) as an app would, through the real API, silos, Redis and PostgreSQL."));
        md.AppendLine("- **Stale own read**: a read-back that does not show the write just made (the post or cart item is missing, or the profile "
            + "has an older name or none). Reads of other users' data are eventually consistent by design and not judged.");
        md.AppendLine("- **Same workload, same lag.** One plan per repetition and lag profile, used by every strategy; each cell uses fresh user "
            + "ids. Per repetition each strategy gets a fresh start of 2 silos and the API (new cluster id; Direct: the API alone) and a warm-up that is not "
            + "counted (up to 100 users, two steps each), then runs the lag profiles in order. Lag is PostgreSQL's `recovery_min_apply_delay` on both replicas, set with `scripts/services lag`: the replicas receive "
            + "WAL at once and apply each commit only after the delay, as a real lagging replica would.");
        md.AppendLine("- **Strategies.** OrleansRaw's `Consistency:Mode` baselines `Eventual` (every read on a replica) and `AlwaysPrimary`; "
            + "`Window` (the primary for a grace period after the user's last write: 5 s, or `auto` = observed P99 lag × 2 + 100 ms); "
            + "`Lsn` (a replica that has replayed the user's last write, waiting up to `MaxReplicaWait` = 0 or 100 ms for one, else the "
            + "primary). Monotonic reads are on (the default) in every mode, so every signed-in read asks the user's grain; one more "
            + "`Lsn` run turns them off (`Consistency:MonotonicReads` = false) to show what they cost. "
            + "**Direct** is the baseline for what routing costs: the same API and HTTP contract started with `Bench:Baseline` = Direct "
            + "(the demo API's alternative registration of the layer, not a mode of it): no Orleans client and no silos, no routing decision "
            + "and no write tracking, every read on the primary.");
        md.AppendLine(($"- **pgpool-II** ({PgpoolVersion(results)}) in streaming-replication mode in front of the same three nodes, load balancing on, "
            + $"`statement_level_load_balance` off (its default: a session keeps one load-balance node), primary weight 0 and standby weights 1, "
            + $"`delay_threshold` = {Pgpool.DelayThresholdBytes / 1024} KiB checked every `sr_check_period` = 1 s (4.3 measures delay in WAL bytes only; "
            + $"this workload wrote {WalRate(results)}), `disable_load_balance_on_write` = `transaction` or `always`. The API runs in "
            + "`Eventual` mode with `Database:Primary` and both `Database:Replicas` pointing at pgpool, so pgpool alone decides where a "
            + "read runs; the API's write pool is marked by its application name and kept on the primary "
            + "(`app_name_redirect_preference_list`), so the SELECTs a write request makes after writing never count as user reads. "
            + "pgpool treats a SELECT calling a volatile function as a write (its default, recommended setting), and every read batch of "
            + "the API ends with `SELECT pg_last_wal_replay_lsn()` (the position kept for monotonic reads), so with `always` a pooled read "
            + "session is pinned to the primary after its first read; an application with one pool for reads and writes would see every "
            + "session pinned after its first write instead. Either way `always` follows the pooled connection, not the user."));
        md.AppendLine("- **Primary share** comes from each response's `X-Read-Source` header, which names where the API ran the read "
            + "(after any guard fallback). Behind pgpool the API cannot know: there the share of all reads is 1 − (SELECTs pgpool sent to the "
            + "standbys, from `SHOW POOL_NODES`) ÷ reads, and the share of own reads is *n/a*. pgpool routes by pooled session, never by user, so "
            + "own and foreign reads share its sessions and its decisions alike.");
        md.AppendLine("- **Latency** is end to end as the client sees it (HTTP, API, grain call, database). **Throughput** is completed requests "
            + "per second of the cell; the think times pace the users, so it mostly shows the workload, not capacity: the API's capacity "
            + "with and without routing is measured on its own below.");
        md.AppendLine("- **Set-up.** PostgreSQL runs with `fsync = off` (`ORLEANSRAW_FAST=1`, as in the tests: the subject is routing, not disks); "
            + "the background post-stats worker is off so every read measured is a user's; everything, the load generator included, shares "
            + "one machine, so absolute latencies include CPU contention and are best compared within a table.");
        md.AppendLine();
    }

    private static void AppendTargets(StringBuilder md, BenchResults results)
    {
        var targets = CostComparison.Targets(results);
        if (targets.All(t => t.Met is null))
        {
            return;
        }

        md.AppendLine("## Targets");
        md.AppendLine();
        md.AppendLine(($"For `{CostComparison.Routed.Label}` (the default configuration), from this run's figures: the read-right-after-a-write probe "
            + "(strong read = `?consistency=strong`, always the primary, measured alongside), the cells of the lag tables, and the "
            + "mixed workload against Direct. Reported, not asserted; on a shared machine a single run can miss or meet a target by noise."));
        md.AppendLine();
        md.AppendLine("| Target | Measured | Within |");
        md.AppendLine("|---|---|---|");
        foreach (var target in targets)
        {
            md.AppendLine($"| {target.Target} | {target.Measured} | {(target.Met is { } met ? met ? "yes" : "**no**" : "—")} |");
        }

        md.AppendLine();
    }

    private static void AppendProbe(StringBuilder md, BenchResults results)
    {
        if (results.Probes.Count == 0)
        {
            return;
        }

        md.AppendLine("## Read right after a write, one user alone");
        md.AppendLine();
        md.AppendLine(($"One signed-in user, nothing else running, no think time; per strategy and lag profile {results.ProbeIterations} iterations "
            + $"(after 3 not counted) of: write a post (`POST /api/posts`), read `GET /api/posts` at once, again "
            + $"{ReadAfterWriteProbeLater} ms after the write's response (or at once if the first read took longer), then "
            + "`GET /api/posts?consistency=strong`, which every mode runs on the primary: the in-run reference for a read without routing. "
            + "The spike profile raises the lag at the same moments from the probe's start as from a cell's. Latencies in ms, "
            + "p50 / p99 (medians of the repetitions); *stale* counts own reads that did not show the post; the primary share and "
            + "the reasons are those of the two own reads."));
        md.AppendLine();
        md.AppendLine("| Strategy | Lag | Write | Read at once | Read 60 ms later | Strong read | At once ÷ strong, p50 | At once ÷ strong, p99 | Stale (at once + later) | Own reads on the primary | Why (reads at once) | Errors |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var strategy in results.Strategies)
        {
            foreach (var (lag, _) in results.LagProfiles)
            {
                var probes = results.Probes.Where(p => p.Strategy == strategy && p.Lag == lag).ToList();
                if (probes.Count == 0)
                {
                    continue;
                }

                md.AppendLine(string.Join(" | ",
                    "| " + strategy,
                    lag,
                    Pair(probes.Select(p => p.Write)),
                    Pair(probes.Select(p => p.AtOnce)),
                    Pair(probes.Select(p => p.Later)),
                    Pair(probes.Select(p => p.Strong)),
                    "×" + (Median(probes.Select(p => p.AtOnce.P50)) / Median(probes.Select(p => p.Strong.P50))).ToString("0.00", Invariant),
                    "×" + (Median(probes.Select(p => p.AtOnce.P99)) / Median(probes.Select(p => p.Strong.P99))).ToString("0.00", Invariant),
                    $"{probes.Sum(p => p.StaleAtOnce)} + {probes.Sum(p => p.StaleLater)} of {probes.Sum(p => p.OwnReads)}",
                    Cell(probes.Select(p => p.OwnPrimaryShare * 100), "0.0") + " %",
                    SumReasons(probes.Select(p => p.AtOnceReasons)),
                    probes.Sum(p => p.Errors).ToString(Invariant)) + " |");
            }
        }

        md.AppendLine();
        var offStrong = results.Probes.Where(p => p.StrongReadsOnPrimary < p.StrongReads).ToList();
        if (offStrong.Count > 0)
        {
            md.AppendLine(($"Strong reads not served by the primary: {string.Join(", ", offStrong.Select(p => $"{p.Strategy} at {p.Lag}: {p.StrongReads - p.StrongReadsOnPrimary} of {p.StrongReads}"))}."));
            md.AppendLine();
        }
    }

    private static void AppendCapacity(StringBuilder md, BenchResults results)
    {
        if (results.Capacity.Count == 0)
        {
            return;
        }

        md.AppendLine("## Capacity and CPU on the mixed workload");
        md.AppendLine();
        md.AppendLine(($"{results.CapacityClients} signed-in clients in a closed loop at lag 0, each writing a post, reading its own posts at once "
            + "and reading a random other client's posts (`GET /api/users/{id}/posts`), with no pause; every request is one operation. "
            + $"Measured for {results.CapacitySeconds:0} s after a warm-up, on the strategy's warmed-up start. CPU is user + system time from "
            + "`/proc/PID/stat` over the measured window, divided by the operations completed in it: the API, each silo, Redis, and each "
            + "PostgreSQL node's postmaster with all its processes (backends, WAL sender and receiver, startup...). The load generator "
            + "(this benchmark) runs on the same cores; its CPU is shown, not counted. CPU figures are ms per operation. "
            + "In a closed loop a strategy whose reads wait (for a replica to replay the client's write) completes fewer operations, "
            + "and the work that runs whatever the load (the replica monitor's polling, cluster membership) is divided by fewer of them."));
        md.AppendLine();
        md.AppendLine("| Strategy | Operations/s | Write p50 / p99 ms | Read p50 / p99 ms | CPU, whole system | "
            + string.Join(" | ", CapacityResult.Components) + " | Load generator (not counted) | Errors |");
        md.AppendLine("|---|---:|---:|---:|---:|" + string.Concat(CapacityResult.Components.Select(_ => "---:|")) + "---:|---:|");
        foreach (var group in results.Capacity.GroupBy(c => c.Strategy).OrderBy(g => Order(results, g.Key)))
        {
            var runs = group.ToList();
            md.AppendLine(string.Join(" | ",
                "| " + group.Key,
                Cell(runs.Select(c => c.PerSecond), "0"),
                Pair(runs.Select(c => c.Write)),
                Pair(runs.Select(c => c.Read)),
                Cell(runs.Select(c => c.CpuMsPerOp), "0.000"),
                string.Join(" | ", CapacityResult.Components.Select(component => Cell(runs.Select(c => c.PerOp(c.CpuMs.GetValueOrDefault(component))), "0.000"))),
                Cell(runs.Select(c => c.PerOp(c.LoadGeneratorCpuMs)), "0.000"),
                runs.Sum(c => c.Errors).ToString(Invariant)) + " |");
        }

        var ratios = CostComparison.CapacityRatios(results);
        if (ratios.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Ratios to Direct, same run (ratio of medians; CPU below 1 is cheaper than Direct, throughput below 1 is less):");
            md.AppendLine();
            md.AppendLine("| Strategy | Throughput | CPU per operation, whole system | Primary's CPU per operation |");
            md.AppendLine("|---|---:|---:|---:|");
            foreach (var ratio in ratios.OrderBy(r => Order(results, r.Strategy)))
            {
                md.AppendLine(($"| {ratio.Strategy} | ×{ratio.Throughput:0.00} | ×{ratio.CpuPerOp:0.00} | ×{ratio.PrimaryCpuPerOp:0.00} |"));
            }
        }

        md.AppendLine();
    }

    private static void AppendStaleByThink(StringBuilder md, BenchResults results)
    {
        var thinks = results.ThinkTimes.Select(Format.Think).ToList();
        md.AppendLine("## Stale own reads by think time");
        md.AppendLine();
        md.AppendLine(($"Median count of stale read-backs per cell, by the pause between the write and the read ({string.Join(" / ", thinks)}); "
            + $"each think time has {results.Users} reads per cell."));
        md.AppendLine();
        md.AppendLine("| Strategy | " + string.Join(" | ", results.LagProfiles.Select(l => "Lag " + l.Key)) + " |");
        md.AppendLine("|---|" + string.Concat(results.LagProfiles.Select(_ => "---:|")));
        foreach (var strategy in results.Strategies)
        {
            var row = results.LagProfiles.Select(l =>
            {
                var cells = results.CellsOf(strategy, l.Key).ToList();
                return cells.Count == 0 ? "" : string.Join(" / ", thinks.Select(t =>
                    Stats.Summarize(cells.Select(c => (double)c.StaleByThink.GetValueOrDefault(t))).Median.ToString("0.#", Invariant)));
            });
            md.AppendLine($"| {strategy} | {string.Join(" | ", row)} |");
        }

        md.AppendLine();
    }

    private static void AppendReasons(StringBuilder md, BenchResults results)
    {
        md.AppendLine("## Why reads went where they went");
        md.AppendLine();
        md.AppendLine("`X-Consistency-Reason` of the reads, summed over the repetitions. Not shown behind pgpool, where the API's reason is "
            + "only the Eventual baseline's choice of a data source. With monotonic reads a signed-in user's read of *another* user's data "
            + "needs a replica at least as far as what that user was last served *of others' data*; an own read from the primary raises "
            + "only the floor of the user's own data. `replicas-behind`: no replica was expected to replay the floor within the wait "
            + "budget, so the primary at once; `guard-fallback`: a replica was tried and had not replayed it by the end of its check.");
        md.AppendLine();
        md.AppendLine("| Strategy | Lag | Own reads | Foreign reads |");
        md.AppendLine("|---|---|---|---|");
        foreach (var strategy in results.Strategies)
        {
            foreach (var (lag, _) in results.LagProfiles)
            {
                var cells = results.CellsOf(strategy, lag).ToList();
                var own = Sum(cells.Select(c => c.OwnReasons));
                var foreign = Sum(cells.Select(c => c.ForeignReasons));
                if (own.Length > 0 || foreign.Length > 0)
                {
                    md.AppendLine($"| {strategy} | {lag} | {own} | {foreign} |");
                }
            }
        }

        md.AppendLine();

        static string Sum(IEnumerable<IReadOnlyDictionary<string, int>> reasons) => SumReasons(reasons);
    }

    private static string SumReasons(IEnumerable<IReadOnlyDictionary<string, int>> reasons) =>
        string.Join(", ", reasons.SelectMany(r => r).GroupBy(r => r.Key).Select(g => (g.Key, Count: g.Sum(r => r.Value)))
            .OrderByDescending(r => r.Count).Select(r => $"{r.Key} {r.Count}"));

    private static void AppendRouting(StringBuilder md, BenchResults results)
    {
        md.AppendLine("## The routing decision itself");
        md.AppendLine();
        md.AppendLine("The benchmark joins the cluster as an Orleans client, as the API does (Redis clustering, a silo gateway), and decides own "
            + "reads of users whose last write every replica has replayed as the API does for a user it holds no lease on: "
            + "`IUserConsistencyGrain.LeaseAsync`, then the routing policy on the lease's state and the client's own replica snapshot (mode "
            + "`Lsn`, wait 100 ms; no wait happens), in a closed loop. Latency is the grain call's round trip plus the policy, in the client; "
            + "the client shares the two cores with the silos.");
        md.AppendLine();
        md.AppendLine("| Silos | Calls in flight | Decisions per second | p50 ms | p99 ms |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var group in results.Decisions.GroupBy(d => (d.Name, d.Concurrency)).OrderBy(g => g.Key.Name).ThenBy(g => g.Key.Concurrency))
        {
            md.AppendLine($"| {group.Key.Name} | {group.Key.Concurrency} | {Cell(group.Select(d => d.PerSecond), "0")} | {Cell(group.Select(d => d.P50Ms), "0.00")} | {Cell(group.Select(d => d.P99Ms), "0.00")} |");
        }

        md.AppendLine();
        md.AppendLine("### The API's capacity with routing and without");
        md.AppendLine();
        md.AppendLine("Signed-in users read their own posts back-to-back (no think time, lag 0, each user's post already on the replicas) "
            + "through the API, in `Lsn` mode (wait 100 ms), in the `Eventual` baseline and in Direct, each on its own start of the API "
            + "(with 2 silos, none for Direct), right after that start's cells (so warmed up). "
            + "Both routed modes ask the user's grain (monotonic reads); `Lsn` adds the policy's check and the replica's position guard "
            + "statement. Direct asks nothing and reads the primary.");
        md.AppendLine();
        md.AppendLine("| Mode | Clients | Requests per second | p50 ms | p99 ms |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var group in results.Throughput.GroupBy(t => (t.Name, t.Concurrency)))
        {
            md.AppendLine($"| {group.Key.Name} | {group.Key.Concurrency} | {Cell(group.Select(t => t.PerSecond), "0")} | {Cell(group.Select(t => t.P50Ms), "0.0")} | {Cell(group.Select(t => t.P99Ms), "0.0")} |");
        }

        var byName = results.Throughput.GroupBy(t => t.Name).ToDictionary(g => g.Key, g => Stats.Summarize(g.Select(t => t.PerSecond)).Median);
        var ratios = new List<string>();
        foreach (var baseline in new[] { Strategy.Eventual.Label, Strategy.Direct.Label })
        {
            if (byName.TryGetValue(baseline, out var reference) && reference > 0)
            {
                ratios.AddRange(byName.Where(k => k.Key != baseline && !(baseline == Strategy.Eventual.Label && k.Key == Strategy.Direct.Label))
                    .Select(k => $"{k.Key} ÷ {baseline}: **{k.Value / reference:0.00}**"));
            }
        }

        if (ratios.Count > 0)
        {
            md.AppendLine();
            md.AppendLine(($"Throughput ratios: {string.Join("; ", ratios)} (medians of the repetitions, same run)."));
        }

        md.AppendLine();
    }

    private static void AppendErrors(StringBuilder md, BenchResults results)
    {
        var errors = results.Cells.SelectMany(c => c.ErrorKinds.Select(e => (c.Strategy, Key: e.Key, e.Value)))
            .Concat(results.Probes.SelectMany(p => p.ErrorKinds.Select(e => (p.Strategy, Key: "probe: " + e.Key, e.Value))))
            .Concat(results.Capacity.SelectMany(c => c.ErrorKinds.Select(e => (c.Strategy, Key: "mixed workload: " + e.Key, e.Value))))
            .GroupBy(e => (e.Strategy, e.Key))
            .Select(g => (g.Key.Strategy, g.Key.Key, Count: g.Sum(e => e.Value))).ToList();
        var failedCalls = results.Decisions.Concat(results.Throughput).Sum(d => d.Failed);
        md.AppendLine("## Errors");
        md.AppendLine();
        if (errors.Count == 0 && failedCalls == 0)
        {
            md.AppendLine("None: every request of every cell, probe and capacity run was answered with success (a 404 for a profile not yet written counts as an answer).");
        }
        else
        {
            md.AppendLine("| Strategy | Error | Count |");
            md.AppendLine("|---|---|---:|");
            foreach (var (strategy, kind, count) in errors)
            {
                md.AppendLine($"| {strategy} | {kind} | {count} |");
            }

            if (failedCalls > 0)
            {
                md.AppendLine(($"| routing and capacity runs | failed or off-target calls | {failedCalls} |"));
            }
        }

        md.AppendLine();
    }

    private static readonly string ReadAfterWriteProbeLater = Cost.ReadAfterWriteProbe.LaterBy.TotalMilliseconds.ToString("0", Invariant);

    private static int Order(BenchResults results, string strategy)
    {
        var index = results.Strategies.ToList().IndexOf(strategy);
        return index < 0 ? int.MaxValue : index;
    }

    private static double Median(IEnumerable<double> values) => Stats.Summarize(values).Median;

    /// <summary>"p50 / p99", each the median of the repetitions.</summary>
    private static string Pair(IEnumerable<Latency> latencies)
    {
        var list = latencies.ToList();
        return $"{Median(list.Select(l => l.P50)).ToString("0.0", Invariant)} / {Median(list.Select(l => l.P99)).ToString("0.0", Invariant)}";
    }

    private static string PgpoolVersion(BenchResults results) =>
        results.Facts.FirstOrDefault(f => f.Name == "pgpool-II").Value is { Length: > 0 } v ? v.Split(' ')[0] : "4.3";

    private static string WalRate(BenchResults results)
    {
        if (results.WalBytesPerSecond.Count == 0)
        {
            return "an unmeasured amount of WAL";
        }

        var rate = Stats.Summarize(results.WalBytesPerSecond);
        return ($"{rate.Median / 1024:0} KiB of WAL per second (median of cells; {rate.Min / 1024:0}–{rate.Max / 1024:0}), so the threshold is about {Pgpool.DelayThresholdBytes / rate.Median * 1000:0} ms of writes");
    }

    /// <summary>"median (min–max)", or the median alone when the repetitions agree or there is one.</summary>
    private static string Cell(IEnumerable<double> values, string format)
    {
        var s = Stats.Summarize(values);
        if (s.IsEmpty)
        {
            return "";
        }

        var median = s.Median.ToString(format, Invariant);
        var min = s.Min.ToString(format, Invariant);
        var max = s.Max.ToString(format, Invariant);
        return min == max ? median : $"{median} ({min}–{max})";
    }

    private static string PercentCell(IEnumerable<double?> shares)
    {
        var list = shares.ToList();
        return list.Any(s => s is null) ? "n/a" : Cell(list.Select(s => s!.Value * 100), "0.0") + " %";
    }

    private static string Ratio(List<CellResult> cells, List<CellResult> baseline, Func<CellResult, double> metric)
    {
        var value = Stats.Summarize(cells.Select(metric)).Median;
        var baseValue = Stats.Summarize(baseline.Select(metric)).Median;
        if (baseValue == 0)
        {
            return value == 0 ? "— (both 0)" : "— (baseline 0)";
        }

        return "×" + (value / baseValue).ToString("0.00", Invariant);
    }

}
