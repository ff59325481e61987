using System.Globalization;
using OrleansRaw.Bench.Harness;

namespace OrleansRaw.Bench.Results;

/// <summary>A strategy's capacity figures on the mixed workload as ratios to <see cref="Strategy.Direct"/> (medians of the repetitions).</summary>
public sealed record CapacityRatio(string Strategy, double Throughput, double CpuPerOp, double PrimaryCpuPerOp);

/// <summary>One cost target: what it asks, what this run measured, and whether that is within it (null: not measured).</summary>
public sealed record TargetCheck(string Target, string Measured, bool? Met);

/// <summary>
/// The routing layer's cost set against the Direct baseline and against its targets, from a run's figures. The
/// figures are reported, never asserted: a run on a shared machine says how far off a target is, not that code is wrong.
/// </summary>
public static class CostComparison
{
    /// <summary>The strategy the targets are about: the default routed configuration.</summary>
    public static readonly Strategy Routed = Strategy.Lsn100;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static IReadOnlyList<CapacityRatio> CapacityRatios(BenchResults results)
    {
        var direct = results.Capacity.Where(c => c.Strategy == Strategy.Direct.Label).ToList();
        if (direct.Count == 0)
        {
            return [];
        }

        return [.. results.Capacity.Where(c => c.Strategy != Strategy.Direct.Label).GroupBy(c => c.Strategy).Select(g => new CapacityRatio(
            g.Key,
            Median(g, c => c.PerSecond) / Median(direct, c => c.PerSecond),
            Median(g, c => c.CpuMsPerOp) / Median(direct, c => c.CpuMsPerOp),
            Median(g, c => c.PrimaryCpuMsPerOp) / Median(direct, c => c.PrimaryCpuMsPerOp)))];
    }

    public static IReadOnlyList<TargetCheck> Targets(BenchResults results)
    {
        var checks = new List<TargetCheck>();
        var label = Routed.Label;

        var lag0 = Probes(results, label, LagProfile.Steadily(0).Key);
        const string atLag0 = "Lag 0 ms: own read right after a write, p50 ≤ 1.5 × strong read p50";
        checks.Add(lag0.Count == 0 ? Missing(atLag0) : Relative(atLag0, Median(lag0, p => p.AtOnce.P50), Median(lag0, p => p.Strong.P50), 1.5));

        var lag50 = Probes(results, label, LagProfile.Steadily(50).Key);
        checks.Add(lag50.Count == 0
            ? Missing("Lag 50 ms: own read right after a write, p50 ≤ lag + 10 ms = 60 ms")
            : Absolute("Lag 50 ms: own read right after a write, p50 ≤ lag + 10 ms = 60 ms", Median(lag50, p => p.AtOnce.P50), 60));
        checks.Add(lag50.Count == 0
            ? Missing("Lag 50 ms: own read right after a write, p99 ≤ lag + 25 ms = 75 ms")
            : Absolute("Lag 50 ms: own read right after a write, p99 ≤ lag + 25 ms = 75 ms", Median(lag50, p => p.AtOnce.P99), 75));

        foreach (var lag in new[] { LagProfile.Steadily(300).Key, LagProfile.SpikeTo2s.Key })
        {
            // In the spike profile the lag is beyond the budget only during the spike: those reads are the target's.
            var probes = Probes(results, label, lag);
            var spike = probes.Count > 0 && probes.All(p => p.AtOnceInSpike is not null);
            foreach (var (name, own, strong) in new (string, Func<ProbeResult, double>, Func<ProbeResult, double>)[]
                     {
                         ("p50", p => (spike ? p.AtOnceInSpike! : p.AtOnce).P50, p => p.Strong.P50),
                         ("p99", p => (spike ? p.AtOnceInSpike! : p.AtOnce).P99, p => p.Strong.P99),
                     })
            {
                var target = spike
                    ? $"Lag {lag}, during the 2 s phase: own read right after a write, {name} ≤ 1.5 × strong read {name}"
                    : $"Lag {lag}: own read right after a write, {name} ≤ 1.5 × strong read {name}";
                checks.Add(probes.Count == 0 ? Missing(target) : Relative(target, Median(probes, own), Median(probes, strong), 1.5));
            }
        }

        var lag300 = LagProfile.Steadily(300).Key;
        var on = results.CellsOf(label, lag300).Where(c => c.PrimaryShare is not null).ToList();
        var off = results.CellsOf(Strategy.Lsn100NoMonotonic.Label, lag300).Where(c => c.PrimaryShare is not null).ToList();
        const string share = "Lag 300 ms: share of all reads on the primary, monotonic reads on ≤ off + 2 points";
        if (on.Count == 0 || off.Count == 0)
        {
            checks.Add(Missing(share));
        }
        else
        {
            var onShare = 100 * Median(on, c => c.PrimaryShare!.Value);
            var offShare = 100 * Median(off, c => c.PrimaryShare!.Value);
            checks.Add(new TargetCheck(share, Text($"{onShare:0.0} % on vs {offShare:0.0} % off ({onShare - offShare:+0.0;-0.0;0.0} points)"), onShare <= offShare + 2));
        }

        var ratio = CapacityRatios(results).FirstOrDefault(r => r.Strategy == label);
        checks.Add(ratio is null
            ? Missing("Mixed workload: whole-system CPU per operation ≤ 1.5 × Direct")
            : new TargetCheck("Mixed workload: whole-system CPU per operation ≤ 1.5 × Direct", Text($"×{ratio.CpuPerOp:0.00}"), ratio.CpuPerOp <= 1.5));
        checks.Add(ratio is null
            ? Missing("Mixed workload: primary's CPU per operation ≤ Direct")
            : new TargetCheck("Mixed workload: primary's CPU per operation ≤ Direct", Text($"×{ratio.PrimaryCpuPerOp:0.00}"), ratio.PrimaryCpuPerOp <= 1));
        checks.Add(ratio is null
            ? Missing("Mixed workload: throughput ≥ 0.9 × Direct")
            : new TargetCheck("Mixed workload: throughput ≥ 0.9 × Direct", Text($"×{ratio.Throughput:0.00}"), ratio.Throughput >= 0.9));
        return checks;
    }

    private static List<ProbeResult> Probes(BenchResults results, string strategy, string lag) =>
        [.. results.Probes.Where(p => p.Strategy == strategy && p.Lag == lag)];

    private static TargetCheck Relative(string target, double value, double reference, double limit) =>
        new(target, Text($"{value:0.0} ms vs {reference:0.0} ms (×{value / reference:0.00})"), reference > 0 ? value <= limit * reference : null);

    private static TargetCheck Absolute(string target, double value, double limit) => new(target, Text($"{value:0.0} ms"), value <= limit);

    private static TargetCheck Missing(string target) => new(target, "not measured in this run", null);

    private static double Median<T>(IEnumerable<T> items, Func<T, double> value) => Stats.Summarize(items.Select(value)).Median;

    private static string Text(FormattableString text) => text.ToString(Invariant);
}
