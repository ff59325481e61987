namespace OrleansRaw.Routing;

/// <summary>
/// Every routing rule in one place, free of I/O: given who reads whose data, what the reader last wrote and has
/// already seen, and what the replicas have replayed, say where the read runs and why. It never waits: a read that
/// needs a position a replica is about to replay is sent there with a bounded wait, and the wait happens on the replica.
/// </summary>
internal sealed class RoutingPolicy(ConsistencyOptions options, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;
    private readonly TimeSpan _fixedGrace = options.FixedGracePeriod;

    public ConsistencyOptions Options => options;

    /// <param name="request">The read.</param>
    /// <param name="reader">The reader's last write and what they have been served (<see cref="ReaderState.None"/> for no one).</param>
    /// <param name="snapshot">The latest replica snapshot this silo has.</param>
    /// <param name="now">The current time on this silo's clock (injected so tests control it).</param>
    public RoutingDecision Decide(ReadRequest request, ReaderState reader, ReplicaSnapshot snapshot, DateTimeOffset now)
    {
        if (request.Critical)
        {
            return RoutingDecision.Primary(RoutingReasons.Critical);
        }

        if (options.Mode == ConsistencyMode.AlwaysPrimary)
        {
            return RoutingDecision.Primary(RoutingReasons.AlwaysPrimary);
        }

        // The monitor already marks a replica on another timeline unhealthy; checked here too, so the rule holds for
        // whatever snapshot a decision gets.
        var healthy = snapshot.Replicas.Where(r => r.Healthy && (!options.CompareTimelines || r.Timeline == snapshot.Timeline)).ToList();
        if (healthy.Count == 0)
        {
            return RoutingDecision.Primary(RoutingReasons.ReplicasUnavailable);
        }

        switch (options.Mode)
        {
            case ConsistencyMode.Eventual:
                return Unchecked(PickAny(healthy), RoutingReasons.Eventual);
            case ConsistencyMode.Window:
                return request.IsOwnRead
                    ? DecideWindow(reader.LastWrite, healthy, snapshot, now)
                    : Unchecked(PickAny(healthy), RoutingReasons.Eventual);
        }

        // Lsn mode: the read must reflect a floor. A token is a position the client proved it saw (its time unknown,
        // so taken as now). Own data: the reader's last write, and what their own reads were served (monotonic
        // reads). Another user's data: what the reader's reads of others' data were served — never the primary
        // position an own read happened to run at, which no replica may reach for a while. Shared data (a feed)
        // holds both kinds, so its floor holds the reader's last write too.
        if (options.CompareTimelines && request.ClientPosition is { IsZero: false, Timeline: 0 })
        {
            // A token issued before positions carried their timeline: its LSN may be from any timeline, so neither
            // a replica's position nor the reader's own (which would supersede it) can be compared with it.
            return RoutingDecision.Primary(RoutingReasons.OtherTimeline);
        }

        var floor = request.ClientPosition is { } token ? new Known(token, now) : Known.Nothing;
        var monotonic = options.MonotonicReads;
        if (request.IsOwnRead)
        {
            floor = Known.Max(Known.Max(floor, reader.LastWrite), monotonic ? reader.SeenOwn : Known.Nothing);
            return DecideAtLeast(floor, healthy, snapshot, MaxWait(request), now, RoutingReasons.OwnWriteReplicaCaughtUp);
        }

        floor = Known.Max(floor, monotonic ? reader.SeenOthers : Known.Nothing);
        if (request.OwnerId is null)
        {
            floor = Known.Max(floor, reader.LastWrite);
        }

        return floor.Lsn == Lsn.Zero
            ? Unchecked(PickAny(healthy), RoutingReasons.Eventual)
            : DecideAtLeast(floor, healthy, snapshot, MaxWait(request), now, RoutingReasons.Eventual);
    }

    /// <summary>The grace period in force for Window mode, given the observed lag.</summary>
    public TimeSpan GracePeriod(ReplicaSnapshot snapshot) =>
        options.AutoGracePeriod ? TimeSpan.FromMilliseconds(snapshot.P99LagMs * 2 + 100) : _fixedGrace;

    /// <summary>
    /// How long from <paramref name="now"/> until <paramref name="replica"/> replays <paramref name="required"/>, going by
    /// the delay of the last write it replayed: zero when it has, or when the position is older than that lag.
    /// </summary>
    public static TimeSpan PredictedReplay(ReplicaStatus replica, Known required, DateTimeOffset now)
    {
        if (replica.ReplayLsn >= required.Lsn)
        {
            return TimeSpan.Zero;
        }

        var age = required.At == DateTimeOffset.MinValue ? TimeSpan.Zero : now - required.At;
        var remaining = TimeSpan.FromMilliseconds(replica.ReplayDelayMs) - (age > TimeSpan.Zero ? age : TimeSpan.Zero);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private RoutingDecision DecideWindow(Known lastWrite, List<ReplicaStatus> healthy, ReplicaSnapshot snapshot, DateTimeOffset now)
    {
        if (lastWrite.Lsn > Lsn.Zero && now - lastWrite.At < GracePeriod(snapshot))
        {
            return RoutingDecision.Primary(RoutingReasons.OwnWriteWindow);
        }

        // Past the window session stickiness trusts any replica: no position check, which is its weakness.
        return Unchecked(PickAny(healthy), RoutingReasons.OwnWriteWindowPassed);
    }

    private static RoutingDecision Unchecked(ReplicaStatus replica, string reason) =>
        RoutingDecision.OnReplica(replica.Name, Lsn.Zero, reason, timeline: replica.Timeline);

    // A request may ask for a longer wait (background work), never beyond the configured ceiling.
    private TimeSpan MaxWait(ReadRequest request) =>
        request.MaxWait is { } wanted && wanted > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(wanted.Ticks, options.MaxRequestedWait.Ticks)) : options.MaxReplicaWait;

    private RoutingDecision DecideAtLeast(Known required, List<ReplicaStatus> healthy, ReplicaSnapshot snapshot, TimeSpan budget, DateTimeOffset now, string reason)
    {
        // An LSN orders positions of one timeline only. A floor from another one (read before a failover, or a token
        // that names none) may lie on a branch the promoted node never had, at an LSN the new timeline reuses for
        // other data: no replica's replay position says anything about it. The primary has whatever survived.
        if (options.CompareTimelines && required.Position.Timeline != snapshot.Timeline)
        {
            return RoutingDecision.Primary(RoutingReasons.OtherTimeline);
        }

        var caughtUp = healthy.Where(r => r.ReplayLsn >= required.Lsn).ToList();
        if (caughtUp.Count > 0)
        {
            var chosen = PickLeastLagged(caughtUp);
            return RoutingDecision.OnReplica(chosen.Name, required.Lsn, reason, timeline: chosen.Timeline);
        }

        // None has replayed it as of the snapshot, which may be a poll old. The replica expected to replay it first
        // is tried if that is expected within the budget; the check waits for it on the replica itself, so the read
        // runs the moment the position is replayed. A wrong guess costs that bounded wait and one round trip, then
        // the primary; it can never cost a stale read, because the check is what decides.
        var predicted = healthy.Select(r => (Replica: r, Eta: PredictedReplay(r, required, now))).ToList();
        var best = predicted.Min(c => c.Eta);
        if (best > budget)
        {
            // The primary, at once; the position goes along for the record (what no replica could reach in time).
            return RoutingDecision.Primary(RoutingReasons.ReplicasBehind) with { RequiredLsn = required.Lsn };
        }

        var equals = predicted.Where(c => c.Eta == best).ToList();
        var wait = best + options.ReplicaWaitMargin;
        var replica = equals[_random.Next(equals.Count)].Replica;
        return RoutingDecision.OnReplica(replica.Name, required.Lsn, reason, wait < budget ? wait : budget, replica.Timeline);
    }

    // Replicas within one poll of the best are equals; spreading among them keeps one replica from taking every read.
    private ReplicaStatus PickLeastLagged(List<ReplicaStatus> candidates)
    {
        var best = candidates.Max(r => r.ReplayLsn);
        var equals = candidates.Where(r => r.LagBytes == 0 || r.ReplayLsn == best).ToList();
        return equals[_random.Next(equals.Count)];
    }

    private ReplicaStatus PickAny(List<ReplicaStatus> healthy) => healthy[_random.Next(healthy.Count)];
}
