using Dapper;
using Microsoft.Extensions.DependencyInjection;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Grains;

/// <summary>The grains on the shared two-silo test cluster, against the real replicated PostgreSQL.</summary>
[Collection(SystemCollection.Name)]
public sealed class ConsistencyGrainTests(SystemFixture fixture)
{
    private Deployment System => fixture.Default;

    private static long NewUserId() => Random.Shared.NextInt64(1_000_000_000, 9_000_000_000_000);

    [Fact]
    public async Task RecordWrite_KeepsTheLatestPosition_WhenWritesArriveOutOfOrder()
    {
        var grain = System.Grains.GetGrain<IUserConsistencyGrain>(NewUserId());
        var now = DateTimeOffset.UtcNow;
        await grain.RecordWriteAsync(new WriteRecord(Lsn.Parse("0/500"), now));
        await grain.RecordWriteAsync(new WriteRecord(Lsn.Parse("0/400"), now.AddSeconds(1)));

        var view = await grain.GetViewAsync();
        Assert.Equal(Lsn.Parse("0/500"), view.LastWrite!.Lsn);
        Assert.Equal(now.AddSeconds(1), view.LastWrite.At);
        Assert.Equal(2, view.Writes);
    }

    [Fact]
    public async Task UserState_SurvivesDeactivation()
    {
        var userId = NewUserId();
        var grain = System.Grains.GetGrain<IUserConsistencyGrain>(userId);
        var write = new WriteRecord(Lsn.Parse("7/ABCDEF0"), DateTimeOffset.UtcNow);
        await grain.RecordWriteAsync(write);

        await System.Cluster.DeactivateAsync(grain);
        await System.Cluster.WaitForDeactivationAsync(grain);

        var view = await System.Grains.GetGrain<IUserConsistencyGrain>(userId).GetViewAsync();
        Assert.Equal(write, view.LastWrite);
    }

    [Fact]
    public async Task ReplicaSnapshot_ReachesEverySilo()
    {
        Assert.Equal(2, System.Cluster.Silos.Count);
        foreach (var silo in System.Cluster.Silos)
        {
            var snapshots = silo.ServiceProvider.GetRequiredService<SiloReplicaSnapshots>();
            var first = snapshots.Current;
            var next = await snapshots.WaitForNewerAsync(first.Version, TimeSpan.FromSeconds(5));
            Assert.True(next.Version > first.Version, $"silo {silo.Name} got no new snapshot in 5 s");
            Assert.Equal(["replica-1", "replica-2"], next.Replicas.Select(r => r.Name).Order());
        }
    }

    [Fact]
    public async Task OwnRead_WaitsForTheNextSnapshot_WhenTheReplicaCatchesUpWithinTheBudget()
    {
        // 30 ms of apply delay is under the 100 ms wait budget: the decision waits, then names a replica.
        await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(30));
        try
        {
            var userId = NewUserId();
            var grain = System.Grains.GetGrain<IUserConsistencyGrain>(userId);
            var decisions = new List<RoutingDecision>();
            for (var i = 0; i < 20; i++)
            {
                await grain.RecordWriteAsync(new WriteRecord(await WriteSomethingAsync(), DateTimeOffset.UtcNow));
                decisions.Add(await grain.RouteReadAsync(new ReadRequest(userId, userId)));
            }

            Assert.Contains(decisions, d => d.Reason == RoutingReasons.OwnWriteReplicaCaughtUp);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task OwnRead_FallsBackToPrimary_WhenNoReplicaCatchesUpInTime()
    {
        await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(500));
        try
        {
            var userId = NewUserId();
            var grain = System.Grains.GetGrain<IUserConsistencyGrain>(userId);
            await grain.RecordWriteAsync(new WriteRecord(await WriteSomethingAsync(), DateTimeOffset.UtcNow));

            var started = DateTime.UtcNow;
            var decision = await grain.RouteReadAsync(new ReadRequest(userId, userId));
            var waited = DateTime.UtcNow - started;

            Assert.True(decision.UsePrimary);
            Assert.Equal(RoutingReasons.FallbackTimeout, decision.Reason);
            Assert.InRange(waited, TimeSpan.FromMilliseconds(90), TimeSpan.FromSeconds(5));
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task ForeignRead_FromTheStatelessRouter_IsEventual()
    {
        var decision = await System.Grains.GetGrain<IReadRouterGrain>(SingletonKeys.Cluster).RouteReadAsync(new ReadRequest(null, 5));
        Assert.Equal(RoutingReasons.Eventual, decision.Reason);
        Assert.False(decision.UsePrimary);
    }

    private async Task<Lsn> WriteSomethingAsync()
    {
        await using var connection = await fixture.Db.Primary.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO posts (user_id, content) VALUES (0, 'grain test')");
        return await fixture.Db.CurrentLsnAsync();
    }
}
