using OrleansRaw.Bench.Workload;

namespace OrleansRaw.Bench.Results;

/// <summary>
/// The figures of one cell (one strategy, one lag profile, one repetition). Primary shares come from the API's
/// <c>X-Read-Source</c> header, except behind pgpool, where the API cannot know where pgpool sent a read: there
/// <see cref="StandbyReads"/> (counted on the standbys themselves) gives the share of all reads, and the own-read share
/// is unknown (null).
/// </summary>
public sealed record CellResult(
    string Strategy,
    string Lag,
    int Repetition,
    int Users,
    int Requests,
    int Errors,
    int OwnReads,
    int Stale,
    int Reads,
    double? PrimaryShare,
    double? OwnPrimaryShare,
    double OwnP50,
    double OwnP99,
    double ForeignP50,
    double ForeignP99,
    double WriteP50,
    double Throughput,
    double ElapsedSeconds,
    IReadOnlyDictionary<string, int> StaleByThink,
    IReadOnlyDictionary<string, int> OwnReasons,
    IReadOnlyDictionary<string, int> ForeignReasons,
    IReadOnlyDictionary<string, int> ErrorKinds,
    long? StandbyReads = null)
{
    public double StalePercent => OwnReads == 0 ? 0 : 100.0 * Stale / OwnReads;

    /// <summary>Summarises a cell. <paramref name="standbyReads"/>: reads the standbys served, when the header cannot tell (pgpool).</summary>
    public static CellResult From(string strategy, string lag, int repetition, CellRun run, long? standbyReads = null)
    {
        var ok = run.Samples.Where(s => s.Ok).ToList();
        var own = ok.Where(s => s.Kind == RequestKind.OwnRead).ToList();
        var foreign = ok.Where(s => s.Kind == RequestKind.ForeignRead).ToList();
        var writes = ok.Where(s => s.Kind == RequestKind.Write).ToList();
        var reads = own.Count + foreign.Count;

        double? primaryShare, ownPrimaryShare;
        if (standbyReads is { } standby)
        {
            primaryShare = reads == 0 ? 0 : Math.Clamp(1 - (double)standby / reads, 0, 1);
            ownPrimaryShare = null;
        }
        else
        {
            primaryShare = reads == 0 ? 0 : (double)(own.Count(s => s.FromPrimary) + foreign.Count(s => s.FromPrimary)) / reads;
            ownPrimaryShare = own.Count == 0 ? 0 : (double)own.Count(s => s.FromPrimary) / own.Count;
        }

        return new CellResult(
            strategy,
            lag,
            repetition,
            run.Users,
            run.Samples.Count,
            run.Samples.Count(s => !s.Ok),
            own.Count,
            own.Count(s => s.Stale),
            reads,
            primaryShare,
            ownPrimaryShare,
            Stats.Percentile(own.Select(s => s.LatencyMs), 0.50),
            Stats.Percentile(own.Select(s => s.LatencyMs), 0.99),
            Stats.Percentile(foreign.Select(s => s.LatencyMs), 0.50),
            Stats.Percentile(foreign.Select(s => s.LatencyMs), 0.99),
            Stats.Percentile(writes.Select(s => s.LatencyMs), 0.50),
            run.Elapsed.TotalSeconds <= 0 ? 0 : ok.Count / run.Elapsed.TotalSeconds,
            run.Elapsed.TotalSeconds,
            own.Where(s => s.Stale).GroupBy(s => Format.Think(s.Think ?? TimeSpan.Zero)).ToDictionary(g => g.Key, g => g.Count()),
            // Behind pgpool the API's reasons say only what the Eventual baseline decided, not where pgpool sent the read.
            standbyReads is null ? CountReasons(own) : new Dictionary<string, int>(),
            standbyReads is null ? CountReasons(foreign) : new Dictionary<string, int>(),
            run.Samples.Where(s => !s.Ok).GroupBy(s => s.Error ?? "?").ToDictionary(g => g.Key, g => g.Count()),
            standbyReads);
    }

    private static Dictionary<string, int> CountReasons(IEnumerable<Sample> reads) =>
        reads.GroupBy(s => s.Reason ?? "?").ToDictionary(g => g.Key, g => g.Count());

    public override string ToString() =>
        $"{Strategy,-22} {Lag,-6} rep {Repetition}: stale {Stale}/{OwnReads} ({StalePercent:F1} %), primary {Format.Percent(PrimaryShare)} of reads, "
        + $"{Format.Percent(OwnPrimaryShare)} of own; own p50/p99 {OwnP50:F1}/{OwnP99:F1} ms, foreign {ForeignP50:F1}/{ForeignP99:F1} ms, "
        + $"{Throughput:F0} req/s, {Errors} errors"
        + (Stale > 0 ? $"; stale by think time: {string.Join(", ", StaleByThink.OrderBy(k => k.Key).Select(k => $"{k.Key}={k.Value}"))}" : "");
}
