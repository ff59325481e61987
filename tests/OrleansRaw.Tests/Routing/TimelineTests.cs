using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.Routing;
using OrleansRaw.Tests.Infrastructure;
using OrleansRaw.WebApi.Auth;
using OrleansRaw.ReadYourWrites;

namespace OrleansRaw.Tests.Routing;

/// <summary>
/// The timeline rules without a failover: which timeline a node is on, which one is the cluster's, and that no
/// position is compared with another timeline's. The failover drill (<c>TimelineFailoverTests</c>) shows them on the real thing.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class TimelineTests
{
    private const string Me = "7";
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    // After a crash-failover: timeline 2 began at 0/5000000 on the promoted replica-1; replica-2 had replayed the dead
    // timeline 1 up to 0/6000000 and cannot follow. A user's write on timeline 2 lies at 0/5800000, below that.
    private static readonly Lsn Switch = Lsn.Parse("0/5000000");
    private static readonly WalPosition NewWrite = new(2, Lsn.Parse("0/5800000"));
    private static readonly WalPosition LostWrite = new(1, Lsn.Parse("0/5F00000"));

    private static readonly ReplicaStatus DeadBranch = new("replica-2", true, Lsn.Parse("0/6000000"), 0, 0, Now, Timeline: 1);
    private static readonly ReplicaStatus Following = new("replica-1", true, Lsn.Parse("0/5900000"), 0, 0, Now, Timeline: 2);

    private static ReplicaSnapshot Snapshot(uint timeline, params ReplicaStatus[] replicas) =>
        new(1, Lsn.Parse("0/5900000"), Now, [.. replicas], 0, Timeline: timeline);

    private static RoutingPolicy Policy(bool compareTimelines = true) =>
        new(new ConsistencyOptions { CompareTimelines = compareTimelines }, new Random(1));

    private static ReaderState Wrote(WalPosition position) =>
        new(new Known(position, Now.AddMilliseconds(-5)), Known.Nothing, Known.Nothing);

    [Fact]
    public void AReplicaOnADeadTimeline_AheadOfTheWrite_IsNeverChosen_EvenIfASnapshotCallsItHealthy()
    {
        var snapshot = Snapshot(2, DeadBranch);
        var own = Policy().Decide(new ReadRequest(Me, Me), Wrote(NewWrite), snapshot, Now);
        Assert.True(own.UsePrimary);
        Assert.Equal(RoutingReasons.ReplicasUnavailable, own.Reason);

        var anonymous = Policy().Decide(new ReadRequest(null, Me), ReaderState.None, snapshot, Now);
        Assert.True(anonymous.UsePrimary);
    }

    [Fact]
    public void ComparingLsnsOnly_SendsTheOwnReadToTheDeadTimeline_WhichLacksTheWrite()
    {
        // The hazard the timeline rule removes: 0/6000000 >= 0/5800000, yet replica-2 never had the new timeline's write.
        var naive = Policy(compareTimelines: false).Decide(new ReadRequest(Me, Me), Wrote(NewWrite), Snapshot(2, DeadBranch), Now);
        Assert.Equal("replica-2", naive.Replica);
        Assert.Equal(RoutingReasons.OwnWriteReplicaCaughtUp, naive.Reason);
    }

    [Fact]
    public void AFloorFromAnEarlierTimeline_GoesToThePrimary_ThoughAReplicaOfTheNewOneIsPastItsLsn()
    {
        var decision = Policy().Decide(new ReadRequest(Me, Me), Wrote(new WalPosition(1, Lsn.Parse("0/5100000"))), Snapshot(2, Following), Now);
        Assert.True(decision.UsePrimary);
        Assert.Equal(RoutingReasons.OtherTimeline, decision.Reason);
    }

    [Fact]
    public void AFloorFromALaterTimelineThanTheSnapshots_GoesToThePrimary()
    {
        // The API wrote on the promoted node before the monitor's snapshot showed the new timeline.
        var decision = Policy().Decide(new ReadRequest(Me, Me), Wrote(NewWrite), Snapshot(1, DeadBranch with { Timeline = 1 }), Now);
        Assert.True(decision.UsePrimary);
        Assert.Equal(RoutingReasons.OtherTimeline, decision.Reason);
    }

    [Fact]
    public void ATokenWithoutTimeline_GoesToThePrimary()
    {
        var token = new WalPosition(0, Lsn.Parse("0/5000000"));
        var decision = Policy().Decide(new ReadRequest(Me, Me, ClientPosition: token), ReaderState.None, Snapshot(2, Following), Now);
        Assert.True(decision.UsePrimary);
        Assert.Equal(RoutingReasons.OtherTimeline, decision.Reason);

        // Also when the reader's own state names a timeline: that must not silently outrank the token's position.
        var withState = Policy().Decide(new ReadRequest(Me, Me, ClientPosition: token), Wrote(NewWrite), Snapshot(2, Following), Now);
        Assert.Equal(RoutingReasons.OtherTimeline, withState.Reason);
    }

    [Fact]
    public void OnTheCurrentTimeline_AFollowingReplica_ServesTheOwnRead_AndTheDecisionNamesItsTimeline()
    {
        var decision = Policy().Decide(new ReadRequest(Me, Me), Wrote(NewWrite), Snapshot(2, Following, DeadBranch), Now);
        Assert.Equal("replica-1", decision.Replica);
        Assert.Equal(NewWrite.Lsn, decision.RequiredLsn);
        Assert.Equal(2u, decision.Timeline);
    }

    [Fact]
    public void APositionOnTheNewTimeline_SupersedesAFloorFromTheOldOne_SoTheReaderIsNotStuckOnThePrimary()
    {
        // The lost write's LSN is past anything timeline 2 has yet; a read the user was served on timeline 2 is past
        // whatever of timeline 1 survived, so it becomes the floor.
        var reader = new ReaderState(new Known(LostWrite, Now.AddSeconds(-2)), new Known(new WalPosition(2, Switch), Now.AddSeconds(-1)), Known.Nothing);
        var decision = Policy().Decide(new ReadRequest(Me, Me), reader, Snapshot(2, Following), Now);
        Assert.Equal("replica-1", decision.Replica);
        Assert.Equal(Switch, decision.RequiredLsn);
    }

    [Fact]
    public void Latest_PrefersTheLaterTimeline_ThenTheLaterLsn()
    {
        Assert.Equal(NewWrite, WalPosition.Latest(LostWrite, NewWrite));
        Assert.Equal(NewWrite, WalPosition.Latest(NewWrite, LostWrite));
        Assert.Equal(LostWrite, WalPosition.Latest(LostWrite, LostWrite with { Lsn = Switch }));
        Assert.Equal(LostWrite, WalPosition.Latest(WalPosition.Zero, LostWrite));
        Assert.Equal(2u, WalPosition.TimelineOfWalFile("000000020000000000000005"));
        Assert.Throws<FormatException>(() => WalPosition.TimelineOfWalFile("0/5000000"));
    }

    [Fact]
    public void ReplicaTimeline_ComesFromItsReceiver_AndHoldsWhileTheReceiverIsDown()
    {
        // Streaming the new timeline: the receiver says so, though the last restartpoint is still on timeline 1.
        Assert.Equal(2u, ReplicaTimelines.Of(new ReplicaProbe(true, Switch, ReceivedTimeline: 2, OwnTimeline: 0, CheckpointTimeline: 1), lastKnown: 1));
        // Its primary crashed: no receiver, the last known timeline holds (never the checkpoint's older one).
        Assert.Equal(2u, ReplicaTimelines.Of(new ReplicaProbe(true, Switch, 0, 0, CheckpointTimeline: 1), lastKnown: 2));
        // A dead branch: its receiver waits on timeline 1 for WAL the new primary does not have.
        Assert.Equal(1u, ReplicaTimelines.Of(new ReplicaProbe(true, DeadBranch.ReplayLsn, 1, 0, 1), lastKnown: 1));
        // First seen with no receiver: the checkpoint's timeline, a lower bound.
        Assert.Equal(1u, ReplicaTimelines.Of(new ReplicaProbe(true, Switch, 0, 0, 1), lastKnown: 0));
        // Promoted: it names its own.
        Assert.Equal(2u, ReplicaTimelines.Of(new ReplicaProbe(false, Switch, 0, OwnTimeline: 2, CheckpointTimeline: 1), lastKnown: 1));
    }

    [Fact]
    public void ClusterTimeline_RisesWithAPromotedStandby_BeforeThePrimaryProbeFindsIt_AndNeverFalls()
    {
        Assert.Equal(2u, ReplicaTimelines.Cluster(previous: 1, primary: 0, nodes: [2, 1]));
        Assert.Equal(2u, ReplicaTimelines.Cluster(previous: 2, primary: 1, nodes: [1]));
        Assert.Null(ReplicaTimelines.Mismatch(2, 2));
        Assert.StartsWith(ReplicaErrors.TimelinePrefix, ReplicaTimelines.Mismatch(1, 2));
    }

    [Fact]
    public void ConsistencyTokens_CarryTheTimeline_AndAnOldTokenWithoutOneStillParses()
    {
        var tokens = new ConsistencyTokens(Options.Create(new ConsistencyOptions { TokenSigningKey = Deployment.SigningKey }));
        Assert.True(tokens.TryRead(tokens.Issue(Me, NewWrite), Me, out var read, out _));
        Assert.Equal(NewWrite, read);

        // Signed as the previous version did: v1|user|lsn with the same derived key.
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Deployment.SigningKey), "orleansraw-consistency-token"u8);
        var payload = Encoding.UTF8.GetBytes($"v1|{Me}|0/5000000");
        var v1 = Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(key, payload));
        Assert.True(tokens.TryRead(v1, Me, out var old, out var error), error);
        Assert.Equal(new WalPosition(0, Switch), old);
        Assert.False(tokens.TryRead(v1, "71", out _, out _));
    }
}
