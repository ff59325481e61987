using System.Collections.Immutable;
using OrleansRaw.Routing;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Routing;

/// <summary>Every rule of the routing policy, without a cluster or a database.</summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class RoutingPolicyTests
{
    private const string Me = "7";
    private const string Someone = "8";
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly Lsn Written = Lsn.Parse("0/3000000");
    private const uint Timeline = 1;

    private static WalPosition Pos(Lsn lsn) => new(Timeline, lsn);

    private static RoutingPolicy Policy(ConsistencyMode mode = ConsistencyMode.Lsn, string grace = "00:00:05", int maxWaitMs = 100) =>
        new(new ConsistencyOptions { Mode = mode, GracePeriod = grace, MaxReplicaWait = TimeSpan.FromMilliseconds(maxWaitMs) }, new Random(1));

    private static ReplicaStatus Replica(string name, string replay, bool healthy = true, long lagBytes = 0, double delayMs = 0) =>
        new(name, healthy, Lsn.Parse(replay), 0, lagBytes, Now, ReplayDelayMs: delayMs, Timeline: Timeline);

    private static ReplicaSnapshot Snapshot(double p99 = 0, params ReplicaStatus[] replicas) =>
        new(1, Written, Now, [.. replicas], p99, Timeline: Timeline);

    private static readonly ReplicaSnapshot BothCaughtUp = Snapshot(0, Replica("replica-1", "0/3000000"), Replica("replica-2", "0/3000010"));
    private static readonly ReplicaSnapshot OneBehind = Snapshot(0, Replica("replica-1", "0/2FFFFFF", lagBytes: 1), Replica("replica-2", "0/3000000"));
    private static readonly ReplicaSnapshot BothBehind = Snapshot(0, Replica("replica-1", "0/2000000", lagBytes: 9), Replica("replica-2", "0/2FFFFFF", lagBytes: 1));
    private static readonly ReplicaSnapshot NoneHealthy = Snapshot(0, Replica("replica-1", "0/3000000", healthy: false), Replica("replica-2", "0/3000000", healthy: false));
    private static readonly Known MyWrite = new(Pos(Written), Now.AddMilliseconds(-10));

    private static RoutingDecision Decide(RoutingPolicy policy, ReadRequest request, ReplicaSnapshot snapshot, Known? lastWrite = null, DateTimeOffset? now = null,
        Lsn seen = default, Lsn seenOwn = default) =>
        policy.Decide(request, new ReaderState(lastWrite ?? Known.Nothing, new Known(Pos(seenOwn), Now), new Known(Pos(seen), Now)), snapshot, now ?? Now);

    // Both behind the write, one expected to replay it within 30 ms, the other in 400 ms (replay delays 40 and 410 ms, write 10 ms old).
    private static readonly ReplicaSnapshot BothBehindOneClose = Snapshot(0,
        Replica("replica-1", "0/2000000", lagBytes: 9, delayMs: 410), Replica("replica-2", "0/2FFFFFF", lagBytes: 1, delayMs: 40));

    [Theory]
    [InlineData(ConsistencyMode.Lsn)]
    [InlineData(ConsistencyMode.Window)]
    [InlineData(ConsistencyMode.Eventual)]
    [InlineData(ConsistencyMode.AlwaysPrimary)]
    public void CriticalRead_GoesToPrimary_InEveryMode(ConsistencyMode mode)
    {
        var decision = Decide(Policy(mode), new ReadRequest(Me, Someone, Critical: true), BothCaughtUp, MyWrite);
        Assert.True(decision.UsePrimary);
        Assert.Equal(RoutingReasons.Critical, decision.Reason);
    }

    [Theory]
    [InlineData(ConsistencyMode.Lsn)]
    [InlineData(ConsistencyMode.Window)]
    [InlineData(ConsistencyMode.Eventual)]
    public void ForeignRead_GoesToAHealthyReplica_EvenRightAfterTheReadersOwnWrite(ConsistencyMode mode)
    {
        var decision = Decide(Policy(mode), new ReadRequest(Me, Someone), BothBehind, MyWrite);
        Assert.False(decision.UsePrimary);
        Assert.Equal(RoutingReasons.Eventual, decision.Reason);
        Assert.Equal(Lsn.Zero, decision.RequiredLsn);
    }

    [Fact]
    public void AnonymousRead_IsEventual()
    {
        var decision = Decide(Policy(), new ReadRequest(null, Me), OneBehind);
        Assert.Equal(RoutingReasons.Eventual, decision.Reason);
        Assert.False(decision.UsePrimary);
    }

    [Theory]
    [InlineData(ConsistencyMode.Lsn)]
    [InlineData(ConsistencyMode.Window)]
    [InlineData(ConsistencyMode.Eventual)]
    public void NoHealthyReplica_GoesToPrimary(ConsistencyMode mode)
    {
        var decision = Decide(Policy(mode), new ReadRequest(Me, Someone), NoneHealthy);
        Assert.True(decision.UsePrimary);
        Assert.Equal(RoutingReasons.ReplicasUnavailable, decision.Reason);
    }

    [Fact]
    public void EmptySnapshot_BeforeTheFirstPoll_GoesToPrimary()
    {
        var decision = Decide(Policy(), new ReadRequest(Me, Me), ReplicaSnapshot.Empty, MyWrite);
        Assert.True(decision.UsePrimary);
        Assert.Equal(RoutingReasons.ReplicasUnavailable, decision.Reason);
    }

    [Fact]
    public void AlwaysPrimary_SendsEvenForeignReadsToPrimary()
    {
        var decision = Decide(Policy(ConsistencyMode.AlwaysPrimary), new ReadRequest(Me, Someone), BothCaughtUp);
        Assert.True(decision.UsePrimary);
        Assert.Equal(RoutingReasons.AlwaysPrimary, decision.Reason);
    }

    [Fact]
    public void Eventual_SendsOwnReadsToAnyReplica_EvenOneThatMissedTheWrite()
    {
        var decision = Decide(Policy(ConsistencyMode.Eventual), new ReadRequest(Me, Me), BothBehind, MyWrite);
        Assert.False(decision.UsePrimary);
        Assert.Equal(RoutingReasons.Eventual, decision.Reason);
    }

    [Fact]
    public void Lsn_OwnRead_PicksOnlyAReplicaThatReplayedTheLastWrite()
    {
        var policy = Policy();
        for (var i = 0; i < 50; i++)
        {
            var decision = Decide(policy, new ReadRequest(Me, Me), OneBehind, MyWrite);
            Assert.Equal("replica-2", decision.Replica);
            Assert.Equal(Written, decision.RequiredLsn);
            Assert.Equal(RoutingReasons.OwnWriteReplicaCaughtUp, decision.Reason);
        }
    }

    [Fact]
    public void Lsn_OwnRead_SpreadsAmongReplicasThatCaughtUp()
    {
        var policy = Policy();
        var chosen = Enumerable.Range(0, 100).Select(_ => Decide(policy, new ReadRequest(Me, Me), BothCaughtUp, MyWrite).Replica).ToHashSet();
        Assert.Equal(["replica-1", "replica-2"], chosen.Order());
    }

    [Fact]
    public void Lsn_OwnRead_PrefersTheLeastLaggedWhenOnlyOneIsLevel()
    {
        var snapshot = Snapshot(0, Replica("replica-1", "0/3000000", lagBytes: 500), Replica("replica-2", "0/3000400", lagBytes: 0));
        var policy = Policy();
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("replica-2", Decide(policy, new ReadRequest(Me, Me), snapshot, MyWrite).Replica);
        }
    }

    [Fact]
    public void Lsn_OwnRead_WithNoWriteYet_GoesToAReplica()
    {
        var decision = Decide(Policy(), new ReadRequest(Me, Me), BothBehind);
        Assert.False(decision.UsePrimary);
        Assert.Equal(Lsn.Zero, decision.RequiredLsn);
    }

    [Fact]
    public void Lsn_OwnRead_NoReplicaCaughtUp_GoesToTheOneExpectedFirst_WaitingThereAtMostTheBudget()
    {
        var policy = Policy(maxWaitMs: 100);
        for (var i = 0; i < 20; i++)
        {
            var decision = Decide(policy, new ReadRequest(Me, Me), BothBehindOneClose, MyWrite);
            Assert.Equal("replica-2", decision.Replica);
            Assert.Equal(Written, decision.RequiredLsn);
            // 30 ms predicted + the 25 ms margin.
            Assert.Equal(TimeSpan.FromMilliseconds(55), decision.MaxWait);
        }
    }

    [Fact]
    public void Lsn_OwnRead_WhenNoReplicaCanReplayTheWriteWithinTheBudget_GoesToThePrimaryAtOnce()
    {
        var laggy = Snapshot(0, Replica("replica-1", "0/2000000", lagBytes: 9, delayMs: 350), Replica("replica-2", "0/2FFFFFF", lagBytes: 1, delayMs: 350));
        var decision = Decide(Policy(maxWaitMs: 100), new ReadRequest(Me, Me), laggy, MyWrite);
        Assert.True(decision.UsePrimary);
        Assert.Equal(RoutingReasons.ReplicasBehind, decision.Reason);
        Assert.Equal(Written, decision.RequiredLsn); // what no replica could reach in time, for the routing span
        Assert.Equal(TimeSpan.Zero, decision.MaxWait);

        // The same write, 260 ms later: 90 ms to go, within the budget; the wait is capped by the budget.
        var later = Decide(Policy(maxWaitMs: 100), new ReadRequest(Me, Me), laggy, MyWrite, now: Now.AddMilliseconds(260));
        Assert.False(later.UsePrimary);
        Assert.Equal(TimeSpan.FromMilliseconds(100), later.MaxWait);
    }

    [Fact]
    public void Lsn_OwnRead_OnALevelReplicaWithNoLagHistory_TriesItWithTheMarginOnly()
    {
        // A write the snapshot (a poll old) does not show yet, on replicas that have shown no lag: replay is expected
        // at once, so the read goes there and may wait only the margin before the primary.
        var level = Snapshot(0, Replica("replica-1", "0/2FFFFFF"), Replica("replica-2", "0/2FFFFFF"));
        var decision = Decide(Policy(), new ReadRequest(Me, Me), level, MyWrite);
        Assert.False(decision.UsePrimary);
        Assert.Equal(Written, decision.RequiredLsn);
        Assert.Equal(TimeSpan.FromMilliseconds(25), decision.MaxWait);
    }

    [Fact]
    public void Lsn_WithZeroWaitBudget_ReadsThePrimaryUnlessAReplicaIsExpectedToHaveTheWriteAlready()
    {
        var decision = Decide(Policy(maxWaitMs: 0), new ReadRequest(Me, Me), BothBehindOneClose, MyWrite);
        Assert.Equal(RoutingReasons.ReplicasBehind, decision.Reason);
    }

    [Fact]
    public void PredictedReplay_CountsTheWritesAge_AndIsZeroOnceReplayed()
    {
        var replica = Replica("replica-1", "0/2000000", delayMs: 300);
        Assert.Equal(TimeSpan.FromMilliseconds(290), RoutingPolicy.PredictedReplay(replica, MyWrite, Now));
        Assert.Equal(TimeSpan.Zero, RoutingPolicy.PredictedReplay(replica, MyWrite, Now.AddSeconds(1)));
        Assert.Equal(TimeSpan.Zero, RoutingPolicy.PredictedReplay(replica with { ReplayLsn = Written }, MyWrite, Now));
        // A position whose time is unknown is taken as new.
        Assert.Equal(TimeSpan.FromMilliseconds(300), RoutingPolicy.PredictedReplay(replica, new Known(Pos(Written), DateTimeOffset.MinValue), Now));
    }

    [Fact]
    public void Lsn_ClientTokenAheadOfTheGrain_RaisesTheRequiredPosition()
    {
        var tokenLsn = Lsn.Parse("0/3000008");
        var decision = Decide(Policy(), new ReadRequest(Me, Me, ClientPosition: Pos(tokenLsn)), BothCaughtUp, MyWrite);
        Assert.Equal("replica-2", decision.Replica); // replica-1 replayed 0/3000000 only
        Assert.Equal(tokenLsn, decision.RequiredLsn);
    }

    [Fact]
    public void Window_OwnReadInsideGracePeriod_GoesToPrimary()
    {
        var decision = Decide(Policy(ConsistencyMode.Window), new ReadRequest(Me, Me), BothCaughtUp, new Known(Pos(Written), Now.AddSeconds(-4.9)));
        Assert.True(decision.UsePrimary);
        Assert.Equal(RoutingReasons.OwnWriteWindow, decision.Reason);
    }

    [Fact]
    public void Window_OwnReadAfterGracePeriod_GoesToAnyReplica_Unchecked()
    {
        var decision = Decide(Policy(ConsistencyMode.Window), new ReadRequest(Me, Me), BothBehind, new Known(Pos(Written), Now.AddSeconds(-5)));
        Assert.False(decision.UsePrimary);
        Assert.Equal(Lsn.Zero, decision.RequiredLsn);
        Assert.Equal(RoutingReasons.OwnWriteWindowPassed, decision.Reason);
    }

    [Fact]
    public void WindowAuto_GracePeriodFollowsObservedP99Lag()
    {
        var policy = Policy(ConsistencyMode.Window, grace: "auto");
        var laggy = Snapshot(400, Replica("replica-1", "0/3000000"));
        Assert.Equal(TimeSpan.FromMilliseconds(900), policy.GracePeriod(laggy));

        var write = new Known(Pos(Written), Now.AddMilliseconds(-850));
        Assert.True(Decide(policy, new ReadRequest(Me, Me), laggy, write).UsePrimary);
        Assert.False(Decide(policy, new ReadRequest(Me, Me), laggy, write, now: Now.AddMilliseconds(60)).UsePrimary);
    }

    [Fact]
    public void InvalidGracePeriod_IsRefused()
    {
        Assert.ThrowsAny<Exception>(() => Policy(ConsistencyMode.Window, grace: "soon"));
    }

    [Fact]
    public void MonotonicReads_ForeignRead_OnlyFromAReplicaAtOrPastWhatTheReaderSaw()
    {
        var policy = Policy();
        for (var i = 0; i < 50; i++)
        {
            var decision = Decide(policy, new ReadRequest(Me, Someone), OneBehind, seen: Written);
            Assert.Equal("replica-2", decision.Replica);
            Assert.Equal(Written, decision.RequiredLsn);
            Assert.Equal(RoutingReasons.Eventual, decision.Reason);
        }
    }

    [Fact]
    public void MonotonicReads_WhenNoReplicaCanReachWhatTheReaderSawInTime_ReadsThePrimary()
    {
        var laggy = Snapshot(0, Replica("replica-1", "0/2000000", lagBytes: 9, delayMs: 500), Replica("replica-2", "0/2FFFFFF", lagBytes: 1, delayMs: 500));
        var decision = Decide(Policy(), new ReadRequest(Me, Someone), laggy, seen: Written);
        Assert.True(decision.UsePrimary);
        Assert.Equal(RoutingReasons.ReplicasBehind, decision.Reason);
    }

    [Fact]
    public void MonotonicReads_WhatTheReadersOwnReadsSaw_IsNoFloorForOtherUsersData()
    {
        // An own read ran on the primary at a position no replica has: reading someone else's posts need not wait for it.
        var policy = Policy();
        var chosen = Enumerable.Range(0, 50).Select(_ => Decide(policy, new ReadRequest(Me, Someone), BothBehind, MyWrite, seenOwn: Written)).ToList();
        Assert.All(chosen, d => Assert.Equal(RoutingReasons.Eventual, d.Reason));
        Assert.Equal(["replica-1", "replica-2"], chosen.Select(d => d.Replica).ToHashSet().Order());
    }

    [Fact]
    public void SharedData_NeedsTheReadersLastWrite_ForTheReadersOwnPostsInIt()
    {
        var decision = Decide(Policy(), new ReadRequest(Me, null), OneBehind, MyWrite);
        Assert.Equal("replica-2", decision.Replica);
        Assert.Equal(Written, decision.RequiredLsn);
    }

    [Fact]
    public void MonotonicReads_Off_IgnoresWhatTheReaderSaw()
    {
        var policy = new RoutingPolicy(new ConsistencyOptions { MonotonicReads = false }, new Random(1));
        var chosen = Enumerable.Range(0, 50).Select(_ => Decide(policy, new ReadRequest(Me, Someone), BothBehind, seen: Written).Replica).ToHashSet();
        Assert.Equal(["replica-1", "replica-2"], chosen.Order());
    }

    [Fact]
    public void MonotonicReads_OwnRead_NeedsTheLaterOfLastWriteAndSeen()
    {
        var seen = Lsn.Parse("0/3000008");
        var decision = Decide(Policy(), new ReadRequest(Me, Me), BothCaughtUp, MyWrite, seenOwn: seen);
        Assert.Equal("replica-2", decision.Replica);
        Assert.Equal(seen, decision.RequiredLsn);
    }

    [Fact]
    public void ARequestedLongerWait_IsHonoured_UpToTheCeiling()
    {
        var policy = Policy(maxWaitMs: 100);
        var slow = Snapshot(0, Replica("replica-1", "0/2000000", lagBytes: 9, delayMs: 1500), Replica("replica-2", "0/2000000", lagBytes: 9, delayMs: 1500));
        var patient = new ReadRequest(null, Me, ClientPosition: Pos(Written), MaxWait: TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromMilliseconds(1525), Decide(policy, patient, slow).MaxWait);
        Assert.True(Decide(policy, patient with { MaxWait = null }, slow).UsePrimary);

        var verySlow = Snapshot(0, Replica("replica-1", "0/2000000", lagBytes: 9, delayMs: 9000));
        var greedy = patient with { MaxWait = TimeSpan.FromHours(1) };
        Assert.True(Decide(policy, greedy, verySlow).UsePrimary); // 9 s is past the 5 s ceiling
        Assert.Equal(TimeSpan.FromSeconds(5), Decide(policy, greedy, Snapshot(0, Replica("replica-1", "0/2000000", lagBytes: 9, delayMs: 4990))).MaxWait);
    }
}
