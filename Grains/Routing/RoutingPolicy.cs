namespace OrleansRaw.Grains.Routing;

/// <summary>
/// Every routing rule in one place, free of I/O: given who reads whose data, what the reader last wrote and has
/// already seen, and what the replicas have replayed, say where the read runs and why.
/// </summary>
public sealed class RoutingPolicy(ConsistencyOptions options, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;
    private readonly TimeSpan _fixedGrace = options.FixedGracePeriod;

    public ConsistencyOptions Options => options;

    /// <param name="request">The read.</param>
    /// <param name="lastWrite">The reader's last recorded write, or null.</param>
    /// <param name="seen">The newest position the reader has been served (monotonic reads), or zero.</param>
    /// <param name="snapshot">The latest replica snapshot this silo has.</param>
    /// <param name="now">The current time (injected so tests control it).</param>
    /// <param name="waited">How long this decision has already waited for newer snapshots.</param>
    public PolicyResult Decide(ReadRequest request, WriteRecord? lastWrite, Lsn seen, ReplicaSnapshot snapshot, DateTimeOffset now, TimeSpan waited)
    {
        if (request.Critical)
        {
            return PolicyResult.Final(RoutingDecision.Primary(RoutingReasons.Critical));
        }

        if (options.Mode == ConsistencyMode.AlwaysPrimary)
        {
            return PolicyResult.Final(RoutingDecision.Primary(RoutingReasons.AlwaysPrimary));
        }

        var healthy = snapshot.Replicas.Where(r => r.Healthy).ToList();
        if (healthy.Count == 0)
        {
            return PolicyResult.Final(RoutingDecision.Primary(RoutingReasons.ReplicasUnavailable));
        }

        switch (options.Mode)
        {
            case ConsistencyMode.Eventual:
                return PolicyResult.Final(RoutingDecision.OnReplica(PickAny(healthy).Name, Lsn.Zero, RoutingReasons.Eventual));
            case ConsistencyMode.Window:
                return PolicyResult.Final(request.IsOwnRead
                    ? DecideWindow(lastWrite, healthy, snapshot, now)
                    : RoutingDecision.OnReplica(PickAny(healthy).Name, Lsn.Zero, RoutingReasons.Eventual));
        }

        // Lsn mode. A position the reader has seen (monotonic reads) or proved with a token is a floor for every read
        // of theirs; their own last write is one more for reads of their own data.
        var floor = Lsn.Max(options.MonotonicReads ? seen : Lsn.Zero, request.ClientLsn ?? Lsn.Zero);
        if (request.IsOwnRead)
        {
            return DecideAtLeast(Lsn.Max(floor, lastWrite?.Lsn ?? Lsn.Zero), healthy, MaxWait(request) - waited, RoutingReasons.OwnWriteReplicaCaughtUp);
        }

        return floor == Lsn.Zero
            ? PolicyResult.Final(RoutingDecision.OnReplica(PickAny(healthy).Name, Lsn.Zero, RoutingReasons.Eventual))
            : DecideAtLeast(floor, healthy, MaxWait(request) - waited, RoutingReasons.Eventual);
    }

    /// <summary>The grace period in force for Window mode, given the observed lag.</summary>
    public TimeSpan GracePeriod(ReplicaSnapshot snapshot) =>
        options.AutoGracePeriod ? TimeSpan.FromMilliseconds(snapshot.P99LagMs * 2 + 100) : _fixedGrace;

    private RoutingDecision DecideWindow(WriteRecord? lastWrite, List<ReplicaStatus> healthy, ReplicaSnapshot snapshot, DateTimeOffset now)
    {
        if (lastWrite is not null && now - lastWrite.At < GracePeriod(snapshot))
        {
            return RoutingDecision.Primary(RoutingReasons.OwnWriteWindow);
        }

        // Past the window the brief's Strategy 1 trusts any replica: no position check, which is its weakness.
        return RoutingDecision.OnReplica(PickAny(healthy).Name, Lsn.Zero, RoutingReasons.OwnWriteWindowPassed);
    }

    // A request may ask for a longer wait (background work), never beyond the configured ceiling.
    private TimeSpan MaxWait(ReadRequest request) =>
        request.MaxWait is { } wanted && wanted > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(wanted.Ticks, options.MaxRequestedWait.Ticks)) : options.MaxReplicaWait;

    private PolicyResult DecideAtLeast(Lsn required, List<ReplicaStatus> healthy, TimeSpan remaining, string reason)
    {
        var caughtUp = healthy.Where(r => r.ReplayLsn >= required).ToList();
        if (caughtUp.Count > 0)
        {
            return PolicyResult.Final(RoutingDecision.OnReplica(PickLeastLagged(caughtUp).Name, required, reason));
        }

        return remaining > TimeSpan.Zero
            ? PolicyResult.Wait(remaining)
            : PolicyResult.Final(RoutingDecision.Primary(RoutingReasons.FallbackTimeout));
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
