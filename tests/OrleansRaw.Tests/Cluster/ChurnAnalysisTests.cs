using System.Diagnostics;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Cluster;

/// <summary>The churn test's checker catches each violation it counts, seeded by hand, and counts nothing else.</summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class ChurnAnalysisTests
{
    private const long Me = 1;
    private const long Other = 2;

    [Fact]
    public void AnOwnReadStartedAfterAnAcknowledgedWrite_ThatMissesIt_IsStale_AndOneStartedBeforeTheAcknowledgement_IsNot()
    {
        var write = Write(post: 10, from: 0, to: 100);
        var concurrent = Read(ChurnOp.OwnRead, Me, from: 50, to: 150, shown: []);
        var stale = Read(ChurnOp.OwnRead, Me, from: 101, to: 200, shown: [9]);
        var fresh = Read(ChurnOp.OwnRead, Me, from: 201, to: 300, shown: [10, 9]);

        var analysis = Analyze([write, concurrent, stale, fresh]);

        Assert.Equal(stale, Assert.Single(analysis.Stale).Read);
    }

    [Fact]
    public void AFullPage_ThatNoLongerShowsAnOldPost_IsNotStale()
    {
        var old = Write(post: 1, from: 0, to: 10);
        var page = Enumerable.Range(2, ChurnAnalysis.PageSize).Select(id => (long)id).ToArray();

        var analysis = Analyze([old, Read(ChurnOp.OwnRead, Me, from: 20, to: 30, shown: page)]);

        Assert.Empty(analysis.Stale);
    }

    [Fact]
    public void AReadShowingLessThanAReadOfTheSameKindThatEndedBeforeItBegan_IsARegression_OwnAndOthersCountedApart()
    {
        var analysis = Analyze(
        [
            Read(ChurnOp.OwnRead, Me, from: 0, to: 10, shown: [5]),
            Read(ChurnOp.OwnRead, Me, from: 20, to: 30, shown: [4]),
            Read(ChurnOp.OthersRead, Other, from: 40, to: 50, shown: [7]),
            Read(ChurnOp.OthersRead, Other, from: 45, to: 60, shown: [6]), // began before the one showing 7 ended: no order
            Read(ChurnOp.OthersRead, Other, from: 70, to: 80, shown: []),
        ]);

        Assert.Equal(4, Assert.Single(analysis.OwnRegressions).Read.Highest);
        Assert.Equal(0, Assert.Single(analysis.OthersRegressions).Read.Highest);
    }

    [Fact]
    public void AnAcknowledgedPostThePrimaryLacks_IsLost_AndAFailedWriteIsNot()
    {
        var analysis = Analyze([Write(post: 10, from: 0, to: 10), Write(post: 11, from: 20, to: 30), Write(post: 0, from: 40, to: 50) with { Status = 503 }], onPrimary: new HashSet<long> { 10 });

        Assert.Equal(11, Assert.Single(analysis.Lost).PostId);
        Assert.Equal(1, analysis.ServerErrors);
    }

    [Fact]
    public void ThePrimaryShare_CountsAsElevated_UntilTwoSecondsInARowAreBackNearItsLevelBeforeTheEvent_AndALaterSecondWithoutDecisionsIsFound()
    {
        var second = Stopwatch.Frequency;
        var kill = 10 * second;
        var reads = new List<ChurnRequest>();
        for (var s = 5; s < 25; s++)
        {
            // Before the kill and from 3 s after it a quarter of the reads go to the primary; in between, all of them.
            var primary = s is >= 10 and < 13 ? 4 : 1;
            for (var i = 0; i < 4; i++)
            {
                var at = s * second + i * second / 4;
                var read = Read(ChurnOp.OthersRead, Other, at, at + 1, [1]) with { Source = i < primary ? "primary" : "replica:replica-1" };
                reads.Add(s == 20 && i == 0 ? read with { Reason = RoutingReasons.DecisionUnavailable } : read);
            }
        }

        var window = Assert.Single(Analyze(reads, events: [new ChurnEvent(ChurnEvent.SiloKilled, "silo-1", kill)]).Windows);

        Assert.Equal(0.25, window.PrimaryShareBefore);
        Assert.Equal(TimeSpan.FromSeconds(3), window.ElevatedFor);
        Assert.Equal(TimeSpan.FromSeconds(11), window.UndecidedUntil);
    }

    [Fact]
    public void RequestsToAKilledServer_AreCountedApart_AndAnyOtherMissingAnswerIsUnexplained()
    {
        var refused = new ChurnRequest(Me, ChurnOp.OwnRead, Me, "api-3", 120, 121, 0, ChurnRequest.ConnectFailure);
        var cut = new ChurnRequest(Me, ChurnOp.OwnRead, Me, "api-3", 90, 101, 0, "transport (ResponseEnded)");
        var elsewhere = new ChurnRequest(Me, ChurnOp.OwnRead, Me, "api-1", 120, 121, 0, ChurnRequest.ConnectFailure);

        var analysis = Analyze([refused, cut, elsewhere], outages: [new ChurnOutage("api-3", 100, 200, Killed: true)]);

        Assert.Equal(1, analysis.ConnectFailuresToKilled);
        Assert.Equal(1, analysis.CutByKill);
        Assert.Equal(elsewhere, Assert.Single(analysis.UnexplainedFailures));
    }

    private static ChurnAnalysis Analyze(
        IReadOnlyList<ChurnRequest> requests, IReadOnlySet<long>? onPrimary = null, IReadOnlyList<ChurnEvent>? events = null, IReadOnlyList<ChurnOutage>? outages = null) =>
        new(requests, events ?? [], outages ?? [], onPrimary ?? requests.Where(r => r.Op == ChurnOp.Write).Select(r => r.PostId).ToHashSet());

    private static ChurnRequest Write(long post, long from, long to) => new(Me, ChurnOp.Write, Me, "api-1", from, to, 201, PostId: post);

    private static ChurnRequest Read(ChurnOp op, long owner, long from, long to, long[] shown) =>
        new(Me, op, owner, "api-2", from, to, 200, Source: "replica:replica-1", Reason: "eventual", Shown: shown);
}
