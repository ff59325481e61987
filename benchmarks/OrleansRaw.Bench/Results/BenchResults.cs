using OrleansRaw.Bench.Routing;

namespace OrleansRaw.Bench.Results;

/// <summary>Everything a benchmark run measured, and how it was run: the input of the report and the chart.</summary>
public sealed class BenchResults
{
    public required string Command { get; init; }

    public required int Seed { get; init; }

    public required int Users { get; init; }

    public required int Repetitions { get; init; }

    public required bool Quick { get; init; }

    public required IReadOnlyList<TimeSpan> ThinkTimes { get; init; }

    /// <summary>Strategy labels in report order; the first is the baseline the cells' ratios are to.</summary>
    public required IReadOnlyList<string> Strategies { get; init; }

    /// <summary>Lag profile names in report order, with a description each.</summary>
    public required IReadOnlyList<(string Key, string Description)> LagProfiles { get; init; }

    /// <summary>Iterations of the read-right-after-a-write probe per strategy and lag profile.</summary>
    public int ProbeIterations { get; init; }

    /// <summary>Clients of the mixed-workload capacity run.</summary>
    public int CapacityClients { get; init; }

    /// <summary>The capacity run's measured window, in seconds.</summary>
    public double CapacitySeconds { get; init; }

    public IReadOnlyList<(string Name, string Value)> Facts { get; set; } = [];

    public DateTimeOffset Started { get; init; } = DateTimeOffset.UtcNow;

    public TimeSpan Elapsed { get; set; }

    public string LoadAverageBefore { get; set; } = "?";

    public string LoadAverageAfter { get; set; } = "?";

    /// <summary>True when this report was rendered again from saved results, not at the end of the run.</summary>
    public bool RenderedLater { get; set; }

    public List<CellResult> Cells { get; } = [];

    /// <summary>Routing decisions timed through an Orleans client, by silo count and concurrency.</summary>
    public List<LoadResult> Decisions { get; } = [];

    /// <summary>The API at saturation, with routing and with the baseline.</summary>
    public List<LoadResult> Throughput { get; } = [];

    /// <summary>The read-right-after-a-write probe, per strategy and lag profile.</summary>
    public List<ProbeResult> Probes { get; } = [];

    /// <summary>The mixed workload at saturation, with CPU per operation, per strategy.</summary>
    public List<CapacityResult> Capacity { get; } = [];

    /// <summary>Computed from <see cref="Capacity"/> at the end of the run (kept here so the JSON has them too).</summary>
    public IReadOnlyList<CapacityRatio> CapacityRatios { get; set; } = [];

    /// <summary>The cost targets (throughput, CPU and primary load against Direct, own-read latency) against this run's figures, computed at the end of the run.</summary>
    public IReadOnlyList<TargetCheck> Targets { get; set; } = [];

    /// <summary>WAL the primary wrote per second during the cells (pgpool's delay threshold is in bytes).</summary>
    public List<double> WalBytesPerSecond { get; } = [];

    public IEnumerable<CellResult> CellsOf(string strategy, string lag) => Cells.Where(c => c.Strategy == strategy && c.Lag == lag);
}
