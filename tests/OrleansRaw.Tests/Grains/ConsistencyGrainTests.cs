using Dapper;
using Microsoft.Extensions.DependencyInjection;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Tests.Infrastructure;
using OrleansRaw.Routing;

namespace OrleansRaw.Tests.Grains;

/// <summary>
/// The grains on the shared two-silo test cluster, against the real replicated PostgreSQL; routing decisions are the
/// test API's (<see cref="ReadRouter"/>), from the state its reader lease holds.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ConsistencyGrainTests(SystemFixture fixture)
{
    private Deployment System => fixture.Default;

    private static string NewUserId() => TestUsers.NewKey();

    [Fact]
    public async Task RecordWrite_KeepsTheLatestPosition_WhenWritesArriveOutOfOrder()
    {
        var grain = System.Grains.GetGrain<IUserConsistencyGrain>(NewUserId());
        var first = await WriteSomethingAsync();
        var second = await WriteSomethingAsync();
        await grain.RecordWriteAsync(new WriteRecord(second, DateTimeOffset.UtcNow), null, LeaseReport.None);
        await grain.RecordWriteAsync(new WriteRecord(first, DateTimeOffset.UtcNow), null, LeaseReport.None);

        var view = await grain.GetViewAsync();
        Assert.Equal(second, view.LastWrite!.Position);
        Assert.Equal(2, view.Writes);
    }

    [Fact]
    public async Task AReactivatedGrain_StartsAtThePrimarysPosition_PastEveryEarlierWrite()
    {
        // Nothing is stored: what a lost activation knew is replaced by a position that is at or past all of it.
        var userId = NewUserId();
        var grain = System.Grains.GetGrain<IUserConsistencyGrain>(userId);
        var write = await WriteSomethingAsync();
        await grain.RecordWriteAsync(new WriteRecord(write, DateTimeOffset.UtcNow), null, LeaseReport.None);

        await System.Cluster.DeactivateAsync(grain);
        await System.Cluster.WaitForDeactivationAsync(grain);
        var later = await WriteSomethingAsync(); // by someone else, after the deactivation

        var view = await System.Grains.GetGrain<IUserConsistencyGrain>(userId).GetViewAsync();
        Assert.Equal(later.Timeline, view.LastWrite!.Position.Timeline);
        Assert.True(view.LastWrite.Position.Lsn >= later.Lsn, $"reactivated at {view.LastWrite.Position}, behind {later}");
        Assert.True(view.Seen.Lsn >= later.Lsn);
        Assert.Equal(0, view.Writes);
    }

    [Fact]
    public async Task ReplicaSnapshot_ReachesEverySilo()
    {
        Assert.Equal(2, System.Cluster.Silos.Count);
        foreach (var silo in System.Cluster.Silos)
        {
            var snapshots = silo.ServiceProvider.GetRequiredService<ReplicaSnapshotFeed>();
            var first = snapshots.Current;
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (snapshots.Current.Version <= first.Version && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            var next = snapshots.Current;
            Assert.True(next.Version > first.Version, $"silo {silo.Name} got no new snapshot in 5 s");
            Assert.Equal(["replica-1", "replica-2"], next.Replicas.Select(r => r.Name).Order());
        }
    }

    [Fact]
    public async Task OwnRead_RightAfterAWrite_OnLevelReplicas_GoesToAReplica_WithABoundedWait_NotToThePrimary()
    {
        // Decided as the API decides: the user's state leased from the grain (each write revokes the API's copy, so each
        // read leases anew), the policy on the API's snapshot. That snapshot, a poll old, cannot show the write yet; the
        // decision does not wait for a poll.
        await fixture.Db.SetLagAsync(TimeSpan.Zero);
        await WriteSomethingAsync();
        await Task.Delay(200); // the monitor sees a write replayed at once, whatever lag earlier tests left it expecting
        var userId = NewUserId();
        var grain = System.Grains.GetGrain<IUserConsistencyGrain>(userId);
        var router = System.Api.Services.GetRequiredService<ReadRouter>();
        for (var i = 0; i < 20; i++)
        {
            var write = await WriteSomethingAsync();
            await grain.RecordWriteAsync(new WriteRecord(write, DateTimeOffset.UtcNow), null, LeaseReport.None);
            var started = DateTime.UtcNow;
            var decision = await router.DecideAsync(new ReadRequest(userId, userId), CancellationToken.None);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromMilliseconds(40), "the decision waited");
            Assert.False(decision.UsePrimary, $"read {i} went to the primary ({decision.Reason})");
            Assert.Equal(write.Lsn, decision.RequiredLsn);
            Assert.InRange(decision.MaxWait, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
        }
    }

    [Fact]
    public async Task OwnRead_GoesToThePrimaryAtOnce_WhenTheReplicasLagMoreThanTheBudget()
    {
        await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(500));
        try
        {
            // Writes under the lag give the monitor its lag figure (a replica lags only while there is WAL to replay).
            for (var i = 0; i < 10; i++)
            {
                await WriteSomethingAsync();
                await Task.Delay(100);
            }

            var userId = NewUserId();
            var grain = System.Grains.GetGrain<IUserConsistencyGrain>(userId);
            await grain.RecordWriteAsync(new WriteRecord(await WriteSomethingAsync(), DateTimeOffset.UtcNow), null, LeaseReport.None);

            var started = DateTime.UtcNow;
            var decision = await System.Api.Services.GetRequiredService<ReadRouter>().DecideAsync(new ReadRequest(userId, userId), CancellationToken.None);
            var took = DateTime.UtcNow - started;

            Assert.True(decision.UsePrimary);
            Assert.Equal(RoutingReasons.ReplicasBehind, decision.Reason);
            Assert.True(took < TimeSpan.FromMilliseconds(50), $"the decision took {took.TotalMilliseconds:F0} ms");
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    private async Task<WalPosition> WriteSomethingAsync()
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO posts (user_id, content) VALUES (0, 'grain test')");
        return await fixture.Db.CurrentPositionAsync();
    }
}
