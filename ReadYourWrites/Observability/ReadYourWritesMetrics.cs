using System.Diagnostics.Metrics;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The request side's meter, <see cref="MeterName"/>: where reads ran and why, writes, routing latency and waits,
/// fallbacks, rate-limited requests, reader leases, and per-replica lag and health from the latest monitor snapshot.
/// </summary>
internal sealed class ReadYourWritesMetrics
{
    public const string MeterName = ReadYourWritesTelemetry.MeterName;

    /// <summary>Tag names, named once.</summary>
    public static class Tags
    {
        /// <summary><c>primary</c> or <c>replica:NAME</c>, as in the <c>X-Read-Source</c> header.</summary>
        public const string Source = "source";

        /// <summary>A <see cref="RoutingReasons"/> value, as in the <c>X-Consistency-Reason</c> header.</summary>
        public const string Reason = "reason";

        /// <summary>A replica's configured name.</summary>
        public const string Replica = "replica";

        /// <summary><c>own</c> for a user's read of their own data, <c>other</c> for anything else.</summary>
        public const string Kind = "kind";

        /// <summary>An outcome: a write's (<c>recorded</c>, <c>unrecorded</c>), a replica wait's, or a keyed write's (<c>stored</c>, <c>replayed</c>, <c>other-request</c>, <c>unfinished</c>).</summary>
        public const string Outcome = "outcome";

        /// <summary>The rate-limiting policy that refused a request.</summary>
        public const string Policy = "policy";

        /// <summary>What happened to a reader lease: <c>granted</c>, <c>revoked</c>, <c>shared</c>, <c>write-in-copy</c> (a write recorded in this server's copy, no grain call), or <c>write-in-grain</c> (a write recorded by a grain call, which returns a fresh lease).</summary>
        public const string Event = "event";
    }

    // Routing decisions and replica waits take from well under a millisecond to the wait budget (100 ms) and the
    // decision timeout (1 s): the default buckets, made for milliseconds, would put them all in the first one.
    private static readonly IReadOnlyList<double> SecondsBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5];

    private readonly Counter<long> _reads;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _writes;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _keyedWrites;
    private readonly Counter<long> _leases;
    private readonly Histogram<double> _decisionDuration;
    private readonly Histogram<double> _replicaWait;
    private readonly IReadServedListener[] _listeners;

    public ReadYourWritesMetrics(IMeterFactory meters, ReplicaSnapshotFeed snapshots, IEnumerable<IReadServedListener> listeners)
    {
        _listeners = [.. listeners];
        var meter = meters.Create(MeterName);
        _reads = meter.CreateCounter<long>("orleansraw.reads", "{read}", "Reads run, by where they ran and why.");
        _fallbacks = meter.CreateCounter<long>("orleansraw.read.fallbacks", "{read}",
            "Reads sent to the primary because no replica could serve them safely: guard-fallback (the replica had not replayed in time), replicas-behind, replicas-unavailable, decision-unavailable.");
        _writes = meter.CreateCounter<long>("orleansraw.writes", "{write}", "Committed writes, by whether their position was recorded.");
        _rateLimited = meter.CreateCounter<long>("orleansraw.requests.rate_limited", "{request}", "Requests refused by a rate limit.");
        _keyedWrites = meter.CreateCounter<long>("orleansraw.idempotency.requests", "{request}",
            "Writes sent with an Idempotency-Key that reached the database, by outcome: stored (written), replayed, other-request (422), unfinished (409).");
        _leases = meter.CreateCounter<long>("orleansraw.reader_leases", "{event}",
            "Reader leases of this API server: granted (a grain call for a user's state), revoked (by another server's write), shared (another server serves the user too: every read then asks the grain), write-in-copy (a write recorded with no grain call), write-in-grain (a write recorded by a grain call, returning a fresh lease).");
        _decisionDuration = meter.CreateHistogram("orleansraw.routing.decision.duration", "s",
            "Time to obtain a read's routing decision from the grains.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _replicaWait = meter.CreateHistogram("orleansraw.routing.replica_wait.duration", "s",
            "Time a replica read that was allowed to wait for the reader's position took, wait and read together, by whether the position was replayed in time.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

        ReplicaGauges.AddTo(meter, snapshots);
    }

    /// <summary>A read ran on <paramref name="source"/> for <paramref name="reason"/>.</summary>
    public void ReadServed(string source, string reason)
    {
        _reads.Add(1, new(Tags.Source, source), new(Tags.Reason, reason));
        foreach (var listener in _listeners)
        {
            listener.ReadServed(source, reason);
        }
    }

    /// <summary>A read that was meant for a replica, or had no decision, ran on the primary.</summary>
    public void ReadFellBack(string reason, string? replica) =>
        _fallbacks.Add(1, new(Tags.Reason, reason), new(Tags.Replica, replica ?? "none"));

    public void DecisionTaken(RoutingDecision decision, bool ownRead, TimeSpan elapsed) =>
        _decisionDuration.Record(elapsed.TotalSeconds, new(Tags.Reason, decision.Reason), new(Tags.Kind, ownRead ? "own" : "other"));

    /// <summary>A guarded replica read that was allowed to wait for replay took <paramref name="elapsed"/>, wait and read together.</summary>
    public void ReplicaWaited(TimeSpan elapsed, bool replayed) =>
        _replicaWait.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(Tags.Outcome, replayed ? "replayed" : "timed-out"));

    public void WriteCompleted(bool recorded) => _writes.Add(1, new KeyValuePair<string, object?>(Tags.Outcome, recorded ? "recorded" : "unrecorded"));

    public void LeaseEvent(string what) => _leases.Add(1, new KeyValuePair<string, object?>(Tags.Event, what));

    public void KeyedWrite(string outcome) => _keyedWrites.Add(1, new KeyValuePair<string, object?>(Tags.Outcome, outcome));

    /// <summary>Records no refusal, which makes the bulkhead's refusals a series (at 0) before the first one.</summary>
    public void StartRefusalsAtZero() =>
        _rateLimited.Add(0, new KeyValuePair<string, object?>(Tags.Policy, ConsistencyGate.CriticalReadBulkheadPolicy));

    public void RequestRateLimited(string policy) => _rateLimited.Add(1, new KeyValuePair<string, object?>(Tags.Policy, policy));
}
