namespace OrleansRaw.Bench.Results;

/// <summary>The median and 99th percentile of a set of latencies, in milliseconds.</summary>
public sealed record Latency(double P50, double P99)
{
    public static Latency Of(IEnumerable<double> ms)
    {
        var values = ms.ToList();
        return new Latency(Stats.Percentile(values, 0.50), Stats.Percentile(values, 0.99));
    }
}

/// <summary>
/// The read-right-after-a-write probe at one lag profile: one user, no think time, nothing else running. Each iteration
/// writes a post, reads the user's posts at once, again 60 ms after the write, then with <c>?consistency=strong</c>
/// (always the primary: the in-run reference for a read without routing). Own reads are the first two.
/// </summary>
/// <param name="StaleAtOnce">Reads at once that did not show the post just written.</param>
/// <param name="OwnReadsOnPrimary">Own reads (both kinds) whose <c>X-Read-Source</c> was <c>primary</c>.</param>
/// <param name="StrongReadsOnPrimary">Strong reads whose <c>X-Read-Source</c> was <c>primary</c> (all of them, if the API keeps its contract).</param>
/// <param name="AtOnceInSpike">Reads at once that started while a spike's lag was in force (null: the profile has no spike).</param>
/// <param name="InSpikeReads">How many reads at once started in the spike.</param>
/// <param name="InSpikeOnPrimary">How many of those ran on the primary.</param>
public sealed record ProbeResult(
    string Strategy,
    string Lag,
    int Repetition,
    int Iterations,
    int Errors,
    Latency Write,
    Latency AtOnce,
    Latency Later,
    Latency Strong,
    int StaleAtOnce,
    int StaleLater,
    int OwnReads,
    int OwnReadsOnPrimary,
    int StrongReads,
    int StrongReadsOnPrimary,
    IReadOnlyDictionary<string, int> AtOnceReasons,
    IReadOnlyDictionary<string, int> LaterReasons,
    IReadOnlyDictionary<string, int> ErrorKinds,
    Latency? AtOnceInSpike = null,
    int InSpikeReads = 0,
    int InSpikeOnPrimary = 0)
{
    /// <summary>Read at once ÷ strong read, at the median.</summary>
    public double AtOnceToStrongP50 => Ratio(AtOnce.P50, Strong.P50);

    /// <summary>Read at once ÷ strong read, at the 99th percentile.</summary>
    public double AtOnceToStrongP99 => Ratio(AtOnce.P99, Strong.P99);

    public double OwnPrimaryShare => OwnReads == 0 ? 0 : (double)OwnReadsOnPrimary / OwnReads;

    public override string ToString() =>
        $"{Strategy,-22} {Lag,-9} probe: write p50/p99 {Write.P50:F1}/{Write.P99:F1} ms, read at once {AtOnce.P50:F1}/{AtOnce.P99:F1}, "
        + $"60 ms later {Later.P50:F1}/{Later.P99:F1}, strong {Strong.P50:F1}/{Strong.P99:F1} ms; at once ÷ strong "
        + $"{AtOnceToStrongP50:F2} (p50) / {AtOnceToStrongP99:F2} (p99); stale {StaleAtOnce}+{StaleLater} of {OwnReads}, "
        + $"{Format.Percent(OwnPrimaryShare)} of own reads on the primary, {Errors} errors"
        + (AtOnceInSpike is { } spike ? $"; during the spike: read at once {spike.P50:F1}/{spike.P99:F1} ms, {InSpikeOnPrimary} of {InSpikeReads} on the primary" : "");

    private static double Ratio(double value, double reference) => reference > 0 ? value / reference : double.NaN;
}
