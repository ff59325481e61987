using System.Diagnostics;
using System.Globalization;

namespace OrleansRaw.Tests.Cluster;

/// <summary>Something done to the system during a churn run, at <paramref name="At"/> (a <see cref="Stopwatch"/> timestamp).</summary>
public sealed record ChurnEvent(string Kind, string Target, long At, string Detail = "")
{
    public const string SiloKilled = "silo SIGKILL";
    public const string SiloJoined = "silo joined";
    public const string SiloLeft = "silo left";
    public const string ApiPaused = "api SIGSTOP";
    public const string ApiKilled = "api SIGKILL";
}

/// <summary>
/// A server that did not answer from <paramref name="From"/> to <paramref name="To"/>: paused (its requests wait it
/// out), or killed (its requests fail, at connect from then on; <paramref name="To"/> is when its replacement took its place).
/// </summary>
public sealed record ChurnOutage(string Server, long From, long To, bool Killed);

/// <summary>
/// The checker of a churn run, given every request, what was done to the system and when, and the ids of the posts
/// the primary holds at the end. Only 2xx answers are observations.
/// <list type="bullet">
/// <item><b>Stale own read</b>: a list of one's own posts that started after a write was acknowledged and misses it
/// (a post older than the page's oldest shown does not count as missed once the page is full).</item>
/// <item><b>Monotonic regression</b>: a read that shows a lower highest post id, for the same owner, than a read of the
/// same kind (own data, others' data) by the same user that had completed before it began.</item>
/// <item><b>Lost</b>: an acknowledged post the primary does not hold at the end.</item>
/// </list>
/// Around each event it measures the share of reads answered by the primary in 1-s buckets, how long it stayed above
/// its level before the event, and the longest request.
/// </summary>
public sealed class ChurnAnalysis
{
    public const int PageSize = 100;
    public static readonly TimeSpan Before = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan After = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long after a silo's SIGKILL its effects are watched: past Orleans' response timeout (30 s), the longest a
    /// call sent through the dead silo can wait for an answer.
    /// </summary>
    public static readonly TimeSpan AfterSiloKill = TimeSpan.FromSeconds(35);

    /// <summary>How far above its pre-event level the primary share may be and still count as back to normal.</summary>
    public const double Tolerance = 0.15;

    /// <summary>The share of reads in a second routed without a decision above which that second counts as one without decisions.</summary>
    public const double UndecidedLimit = 0.05;

    /// <summary>
    /// A read routed without a decision that took this long waited out the API's decision timeout (1 s): the user's
    /// grain did not answer.
    /// </summary>
    public static readonly TimeSpan TimedOutDecision = TimeSpan.FromMilliseconds(900);

    /// <summary>How long after <paramref name="e"/> the analysis looks.</summary>
    public static TimeSpan WatchOf(ChurnEvent e) => e.Kind == ChurnEvent.SiloKilled ? AfterSiloKill : After;

    private readonly IReadOnlyList<ChurnRequest> _requests;
    private readonly IReadOnlyList<ChurnOutage> _outages;

    public ChurnAnalysis(IReadOnlyList<ChurnRequest> requests, IReadOnlyList<ChurnEvent> events, IReadOnlyList<ChurnOutage> outages, IReadOnlySet<long> onPrimary)
    {
        _requests = requests;
        _outages = outages;
        Events = events;
        Stale = [.. FindStale()];
        OwnRegressions = [.. FindRegressions(ChurnOp.OwnRead)];
        OthersRegressions = [.. FindRegressions(ChurnOp.OthersRead)];
        Lost = [.. requests.Where(r => r.Op == ChurnOp.Write && r.Ok && !onPrimary.Contains(r.PostId))];
        Windows = [.. events.Select(WindowOf)];
    }

    public sealed record StaleRead(ChurnRequest Read, IReadOnlyList<ChurnRequest> Missed);

    public sealed record Regression(ChurnRequest Read, ChurnRequest Earlier);

    /// <summary>The reads that started in one second: how many, the share the primary answered, and the share routed without a decision.</summary>
    public sealed record Bucket(int Reads, double PrimaryShare, double UndecidedShare);

    /// <summary>
    /// Around one event, from <see cref="Before"/> before it to <see cref="WatchOf"/> after: the reads per second, how
    /// long the primary's share stayed above its level before the event (until two seconds in a row are back within
    /// <see cref="Tolerance"/>), until when reads were routed without a decision (the end of the last second with more
    /// than <see cref="UndecidedLimit"/> of them), how many users had reads wait out the decision timeout
/// (<see cref="TimedOutDecision"/>) and until when, and the slowest requests (those that waited out a paused server aside).
    /// </summary>
    public sealed record Window(
        ChurnEvent Event,
        double PrimaryShareBefore,
        IReadOnlyList<Bucket> Buckets,
        TimeSpan? ElevatedFor,
        TimeSpan? UndecidedUntil,
        int UsersWaitingOutDecisions,
        TimeSpan? DecisionsTimedOutUntil,
        ChurnRequest? SlowestRead,
        ChurnRequest? SlowestWrite,
        IReadOnlyList<(string Reason, int Count)> ReasonsFirst5s);

    public IReadOnlyList<ChurnEvent> Events { get; }

    public IReadOnlyList<StaleRead> Stale { get; }

    public IReadOnlyList<Regression> OwnRegressions { get; }

    public IReadOnlyList<Regression> OthersRegressions { get; }

    public IReadOnlyList<ChurnRequest> Lost { get; }

    public IReadOnlyList<Window> Windows { get; }

    public int Writes => _requests.Count(r => r.Op == ChurnOp.Write);

    public int AcknowledgedWrites => _requests.Count(r => r.Op == ChurnOp.Write && r.Ok);

    public int Reads => _requests.Count(r => r.Read);

    public int ReadsAnswered => _requests.Count(r => r.Read && r.Ok);

    /// <summary>Requests answered with a status that is not 2xx, by status.</summary>
    public IReadOnlyList<(int Status, int Count)> ErrorsByStatus =>
        [.. _requests.Where(r => r.Status != 0 && !r.Ok).GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => (g.Key, g.Count()))];

    public int ServerErrors => _requests.Count(r => r.Status >= 500);

    /// <summary>Requests to a killed server after it was killed that found nobody listening: the server's absence, not the system's error.</summary>
    public int ConnectFailuresToKilled => _requests.Count(r => r.Status == 0 && ToKilled(r) && r.Failure == ChurnRequest.ConnectFailure && r.Started >= KillOf(r)!.From);

    /// <summary>Requests in flight on a server when it was killed, cut off with it.</summary>
    public int CutByKill => _requests.Count(r => r.Status == 0 && ToKilled(r) && !(r.Failure == ChurnRequest.ConnectFailure && r.Started >= KillOf(r)!.From));

    /// <summary>Requests with no HTTP answer that no kill explains.</summary>
    public IReadOnlyList<ChurnRequest> UnexplainedFailures => [.. _requests.Where(r => r.Status == 0 && !ToKilled(r))];

    /// <summary>Requests sent to a server that was then paused: they waited the pause out (not the system's decision).</summary>
    public IReadOnlyList<ChurnRequest> StalledByPause => [.. _requests.Where(Stalled)];

    public IReadOnlyList<(string Reason, int Count)> Reasons =>
        [.. _requests.Where(r => r.Read && r.Ok).GroupBy(r => r.Reason ?? "-").OrderByDescending(g => g.Count()).Select(g => (g.Key, g.Count()))];

    public IReadOnlyList<(string Server, int Count)> ServedBy =>
        [.. _requests.Where(r => r.Ok).GroupBy(r => r.Server).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count()))];

    /// <summary>The share of 2xx reads the primary answered over the whole run.</summary>
    public double PrimaryShare => Share(_requests.Where(r => r.Read && r.Ok));

    /// <summary>The report, one line each.</summary>
    public IEnumerable<string> Lines(long origin)
    {
        string At(long timestamp) => $"{Seconds(Stopwatch.GetElapsedTime(origin, timestamp))} s";
        string Describe(ChurnRequest r) =>
            $"{r.Op} of {(r.Owner == r.User ? "own" : r.Owner.ToString(CultureInfo.InvariantCulture))} posts on {r.Server} at {At(r.Started)}-{At(r.Ended)}"
            + (r.Read && r.Ok ? $" from {r.Source} ({r.Reason}), highest id {r.Highest}, {r.Shown!.Length} shown" : $" status {r.Status} {r.Failure}")
            + $" [{Since(r.Started)}]";

        yield return $"writes {Writes} ({AcknowledgedWrites} acknowledged), reads {Reads} ({ReadsAnswered} answered, "
            + $"{Percent(PrimaryShare)} from the primary: own {Percent(Share(_requests.Where(r => r.Op == ChurnOp.OwnRead && r.Ok)))}, "
            + $"others' {Percent(Share(_requests.Where(r => r.Op == ChurnOp.OthersRead && r.Ok)))}); stale own reads {Stale.Count}; monotonic regressions own {OwnRegressions.Count}, "
            + $"others' {OthersRegressions.Count}; lost {Lost.Count}";
        yield return $"errors by status: {Join(ErrorsByStatus.Select(e => $"{e.Status} x{e.Count}"))}; connect failures to a killed server "
            + $"{ConnectFailuresToKilled}; cut off by a kill {CutByKill}; other requests with no answer {UnexplainedFailures.Count} "
            + $"({Join(UnexplainedFailures.GroupBy(r => r.Failure).Select(g => $"{g.Key} x{g.Count()}"))}); "
            + $"waited out a SIGSTOP {StalledByPause.Count} (longest {Seconds(StalledByPause.Select(r => r.Latency).DefaultIfEmpty().Max())} s)";
        yield return $"served (2xx) by: {Join(ServedBy.Select(s => $"{s.Server} {s.Count}"))}";
        yield return $"X-Consistency-Reason of answered reads: {Join(Reasons.Select(r => $"{r.Reason} {r.Count}"))}";
        foreach (var line in Timeline(origin))
        {
            yield return line;
        }

        foreach (var window in Windows)
        {
            var e = window.Event;
            var watched = WatchOf(e);
            var others = Events.Where(o => o != e && o.At > e.At - Ticks(Before) && o.At < e.At + Ticks(watched))
                .Select(o => $"{Seconds(Stopwatch.GetElapsedTime(e.At, o.At))} s {o.Kind} {o.Target}");
            yield return $"{e.Kind} {e.Target} at {At(e.At)}{(e.Detail.Length > 0 ? $" ({e.Detail})" : "")}: primary share before {Percent(window.PrimaryShareBefore)}, "
                + $"above it (+{Tolerance * 100:F0} points) for {(window.ElevatedFor is { } up ? $"{Seconds(up)} s" : $"more than {watched.TotalSeconds:F0} s")}; "
                + $"reads without a decision (over {UndecidedLimit * 100:F0} % a second) {(window.UndecidedUntil is { } until ? $"until +{Seconds(until)} s" : "none")}; "
                + $"reads that waited out the decision timeout: {window.UsersWaitingOutDecisions} users, "
                + $"{(window.DecisionsTimedOutUntil is { } last ? $"the last starting at +{Seconds(last)} s" : "none")}; "
                + $"longest read {Longest(window.SlowestRead)}, longest write {Longest(window.SlowestWrite)}; other events from -{Before.TotalSeconds:F0} s to +{watched.TotalSeconds:F0} s: {Join(others)}";
            yield return $"    from -{Before.TotalSeconds:F0} s, per second: primary % " + Row(window.Buckets, b => b.PrimaryShare, (int)Before.TotalSeconds);
            yield return "                    without a decision % " + Row(window.Buckets, b => b.UndecidedShare, (int)Before.TotalSeconds);
            yield return "                    reads " + Join(window.Buckets.Select((b, i) => (i == (int)Before.TotalSeconds ? "| " : "") + b.Reads.ToString(CultureInfo.InvariantCulture)), " ");
            yield return $"    reasons in the first 5 s: {Join(window.ReasonsFirst5s.Select(r => $"{r.Reason} {r.Count}"))}";
        }

        foreach (var stale in Stale.Take(10))
        {
            yield return $"STALE user {stale.Read.User}: {Describe(stale.Read)}; missed "
                + Join(stale.Missed.Select(w => $"post {w.PostId} written on {w.Server}, acknowledged at {At(w.Ended)}"));
        }

        foreach (var (kind, regressions) in new[] { ("own", OwnRegressions), ("others'", OthersRegressions) })
        {
            foreach (var regression in regressions.Take(10))
            {
                yield return $"REGRESSION ({kind}) user {regression.Read.User}: {Describe(regression.Read)}; after {Describe(regression.Earlier)}";
            }
        }

        foreach (var lost in Lost.Take(10))
        {
            yield return $"LOST user {lost.User}: post {lost.PostId} acknowledged by {lost.Server} at {At(lost.Ended)} [{Since(lost.Started)}]";
        }

        foreach (var failure in UnexplainedFailures.Take(10))
        {
            yield return $"NO ANSWER user {failure.User}: {Describe(failure)}";
        }

        foreach (var error in _requests.Where(r => r.Status >= 500).Take(10))
        {
            yield return $"5xx user {error.User}: {Describe(error)}";
        }

        string Since(long timestamp) =>
            Events.LastOrDefault(e => e.At <= timestamp) is { } e ? $"{Seconds(Stopwatch.GetElapsedTime(e.At, timestamp))} s after {e.Kind} {e.Target}" : "before any event";

        static string Longest(ChurnRequest? r) =>
            r is null ? "-" : $"{Seconds(r.Latency)} s ({r.Op} on {r.Server}, {(r.Ok ? r.Reason ?? r.Status.ToString(CultureInfo.InvariantCulture) : $"status {r.Status}")})";
    }

    /// <summary>The whole run, 10 s a line: the primary's share and the share routed without a decision, per second, and the events.</summary>
    public IEnumerable<string> Timeline(long origin)
    {
        var reads = _requests.Where(r => r.Read && r.Ok).ToList();
        if (reads.Count == 0)
        {
            yield break;
        }

        var end = reads.Max(r => r.Started);
        for (var from = origin; from <= end; from += Ticks(TimeSpan.FromSeconds(10)))
        {
            var row = Enumerable.Range(0, 10).Select(i => BucketOf(reads, from + Ticks(TimeSpan.FromSeconds(i)))).ToList();
            var to = from + Ticks(TimeSpan.FromSeconds(10));
            var events = Events.Where(e => e.At >= from && e.At < to).Select(e => $"{Seconds(Stopwatch.GetElapsedTime(origin, e.At))} s {e.Kind} {e.Target}");
            yield return $"  {Stopwatch.GetElapsedTime(origin, from).TotalSeconds,4:F0} s: primary % {Row(row, b => b.PrimaryShare, -1)}; without a decision % "
                + $"{Row(row, b => b.UndecidedShare, -1)}; {Join(events)}";
        }
    }

    /// <summary>Every request as a CSV row, times in milliseconds from <paramref name="origin"/>, for a closer look than the report.</summary>
    public static IEnumerable<string> Csv(IEnumerable<ChurnRequest> requests, long origin)
    {
        yield return "user,op,owner,server,started_ms,ended_ms,status,failure,source,reason,post_id,highest_shown,shown";
        foreach (var r in requests.OrderBy(r => r.Started))
        {
            yield return string.Join(',', r.User, r.Op, r.Owner, r.Server, Ms(r.Started), Ms(r.Ended), r.Status, r.Failure, r.Source, r.Reason, r.PostId,
                r.Highest, r.Shown?.Length ?? 0);
        }

        string Ms(long timestamp) => Stopwatch.GetElapsedTime(origin, timestamp).TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture);
    }

    private static string Row(IEnumerable<Bucket> buckets, Func<Bucket, double> share, int marker) =>
        string.Join(" ", buckets.Select((b, i) => (i == marker ? "| " : "") + (b.Reads == 0 ? "-" : $"{share(b) * 100:F0}")));

    private static Bucket BucketOf(IReadOnlyList<ChurnRequest> reads, long from)
    {
        var to = from + Ticks(TimeSpan.FromSeconds(1));
        var inBucket = reads.Where(r => r.Started >= from && r.Started < to).ToList();
        return new Bucket(inBucket.Count, Share(inBucket), inBucket.Count == 0 ? 0 : (double)inBucket.Count(Undecided) / inBucket.Count);
    }

    private static bool Undecided(ChurnRequest read) => read.Reason is RoutingReasons.DecisionUnavailable or RoutingReasons.ReplicasUnavailable;

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);

    private static string Percent(double share) => $"{share * 100:F0} %";

    private static string Join(IEnumerable<string> items, string separator = ", ")
    {
        var text = string.Join(separator, items);
        return text.Length == 0 ? "none" : text;
    }

    private static double Share(IEnumerable<ChurnRequest> reads)
    {
        var (all, primary) = reads.Aggregate((0, 0), (n, r) => (n.Item1 + 1, n.Item2 + (r.FromPrimary ? 1 : 0)));
        return all == 0 ? 0 : (double)primary / all;
    }

    private static long Ticks(TimeSpan time) => (long)(time.TotalSeconds * Stopwatch.Frequency);

    private ChurnOutage? KillOf(ChurnRequest request) => _outages.FirstOrDefault(o => o.Killed && o.Server == request.Server && request.Ended >= o.From);

    private bool ToKilled(ChurnRequest request) => KillOf(request) is not null;

    private bool Stalled(ChurnRequest request) =>
        _outages.Any(o => !o.Killed && o.Server == request.Server && request.Started < o.To && request.Ended > o.From);

    private IEnumerable<StaleRead> FindStale()
    {
        foreach (var user in _requests.GroupBy(r => r.User))
        {
            var acknowledged = user.Where(r => r.Op == ChurnOp.Write && r.Ok).OrderBy(r => r.Ended).ToList();
            foreach (var read in user.Where(r => r.Op == ChurnOp.OwnRead && r.Ok))
            {
                var shown = read.Shown!.ToHashSet();
                var oldest = shown.Count == 0 ? 0 : shown.Min();
                var missed = acknowledged.TakeWhile(w => w.Ended < read.Started)
                    .Where(w => !shown.Contains(w.PostId) && (shown.Count < PageSize || w.PostId > oldest)).ToList();
                if (missed.Count > 0)
                {
                    yield return new StaleRead(read, missed);
                }
            }
        }
    }

    // For each read, the highest id shown, for its owner, by any read of the same kind and user that ended before it
    // started; a lower highest id is a regression.
    private IEnumerable<Regression> FindRegressions(ChurnOp op)
    {
        foreach (var group in _requests.Where(r => r.Op == op && r.Ok).GroupBy(r => (r.User, r.Owner)))
        {
            var byEnd = group.OrderBy(r => r.Ended).ToList();
            var next = 0;
            ChurnRequest? floor = null;
            foreach (var read in group.OrderBy(r => r.Started))
            {
                for (; next < byEnd.Count && byEnd[next].Ended < read.Started; next++)
                {
                    if (floor is null || byEnd[next].Highest > floor.Highest)
                    {
                        floor = byEnd[next];
                    }
                }

                if (floor is not null && read.Highest < floor.Highest)
                {
                    yield return new Regression(read, floor);
                }
            }
        }
    }

    private Window WindowOf(ChurnEvent e)
    {
        var reads = _requests.Where(r => r.Read && r.Ok).ToList();
        var watched = WatchOf(e);
        var before = Share(reads.Where(r => r.Started >= e.At - Ticks(Before) && r.Started < e.At));
        var buckets = Enumerable.Range(-(int)Before.TotalSeconds, (int)(Before + watched).TotalSeconds)
            .Select(second => BucketOf(reads, e.At + Ticks(TimeSpan.FromSeconds(second)))).ToList();

        // Back to normal at the first second after the event that, with the next, has reads and a primary share within
        // the tolerance of the level before: the time until then is how long the share stayed up.
        var afterEvent = buckets.Skip((int)Before.TotalSeconds).ToList();
        bool Normal(int i) => i >= afterEvent.Count || afterEvent[i].Reads > 0 && afterEvent[i].PrimaryShare <= before + Tolerance;
        TimeSpan? elevated = null;
        for (var i = 0; i < afterEvent.Count; i++)
        {
            if (Normal(i) && Normal(i + 1))
            {
                elevated = TimeSpan.FromSeconds(i);
                break;
            }
        }

        var lastUndecided = afterEvent.FindLastIndex(b => b.UndecidedShare > UndecidedLimit);
        var timedOut = reads.Where(r => r.Started >= e.At && r.Started < e.At + Ticks(watched) && Undecided(r) && r.Latency >= TimedOutDecision).ToList();
        var end = e.At + Ticks(watched);
        var around = _requests.Where(r => r.Status != 0 && r.Ended > e.At && r.Started < end && !Stalled(r)).ToList();
        var first5 = e.At + Ticks(TimeSpan.FromSeconds(5));
        return new Window(
            e,
            before,
            buckets,
            elevated,
            lastUndecided < 0 ? null : TimeSpan.FromSeconds(lastUndecided + 1),
            timedOut.Select(r => r.User).Distinct().Count(),
            timedOut.Count == 0 ? null : Stopwatch.GetElapsedTime(e.At, timedOut.Max(r => r.Started)),
            around.Where(r => r.Read).MaxBy(r => r.Latency),
            around.Where(r => r.Op == ChurnOp.Write).MaxBy(r => r.Latency),
            [.. reads.Where(r => r.Started >= e.At && r.Started < first5).GroupBy(r => r.Reason ?? "-").OrderByDescending(g => g.Count()).Select(g => (g.Key, g.Count()))]);
    }
}
