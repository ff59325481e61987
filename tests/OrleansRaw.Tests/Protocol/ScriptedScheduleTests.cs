using OrleansRaw.Routing;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Protocol;

/// <summary>
/// The sequences found against the running system, written out step by step over the same simulation: each holds in
/// the real protocol and breaks with the mistake it guards against.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class ScriptedScheduleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    // Issue 23's silo kill: api-2's gateway died, so its lease request for the reader hung; it read the primary
    // (decision-unavailable) and showed post N; the reader's next request, on api-1, was routed from api-1's exclusive
    // copy to a replica and showed less. Now the fallback read's position reaches the grain (on a new connection)
    // before its response leaves, and the grain revokes api-1's exclusive copy first.
    [Theory]
    [InlineData(nameof(ProtocolFlaws.None), false)]
    [InlineData(nameof(ProtocolFlaws.ReportWithoutRevocation), true)]
    [InlineData(nameof(ProtocolFlaws.IgnoreFallbackPosition), true)]
    public void AFallbackRead_OnAServerCutOffFromTheGrain_IsAFloorForTheNextReadOnAnother(string flaw, bool breaks)
    {
        var world = World(flaw);
        var (a, b) = (world.Servers[0], world.Servers[1]);
        a.Read(own: false);
        world.Settle();
        world.OthersWrite();
        world.OthersWrite();
        world.Advance(500 * Ms);

        b.Read(own: false);
        world.Settle(held: IsFrom(b));
        world.Lose(IsFrom(b));
        world.Advance(550 * Ms);

        a.Read(own: false); // renews api-1's exclusive copy while api-2 still waits for its lease
        world.Advance(600 * Ms); // api-2 gives up, reads the primary, reports on a new connection
        a.Read(own: false);
        world.Settle();

        Assert.Equal(4, world.History.Reads);
        Check(world, breaks);
    }

    // A grant the grain sent before it revoked the holder for another server's write arrives after the revocation:
    // installed, it would route the next own read of that server without the write.
    [Theory]
    [InlineData(nameof(ProtocolFlaws.None), false)]
    [InlineData(nameof(ProtocolFlaws.InstallOvertakenGrant), true)]
    public void AGrantOvertakenByARevocation_IsNeverUsed(string flaw, bool breaks)
    {
        var world = World(flaw);
        var (a, b) = (world.Servers[0], world.Servers[1]);
        var grantToA = (string m) => m.Contains("->api-1#1 lease reply", StringComparison.Ordinal);
        a.Read(own: true);
        world.Settle(held: grantToA);
        b.Write();
        world.Settle(held: grantToA);
        Assert.Equal(1, world.History.Writes);

        world.Settle(); // the old grant arrives
        a.Read(own: true);
        world.Settle();

        Check(world, breaks);
    }

    // A write acknowledged through api-2 must revoke api-1's exclusive copy first.
    [Theory]
    [InlineData(nameof(ProtocolFlaws.None), false)]
    [InlineData(nameof(ProtocolFlaws.SkipRevocation), true)]
    public void AWriteThroughAnotherServer_RevokesTheCopyFirst(string flaw, bool breaks)
    {
        var world = World(flaw);
        var (a, b) = (world.Servers[0], world.Servers[1]);
        a.Read(own: true);
        world.Settle();
        b.Write();
        world.Settle();
        a.Read(own: true);
        world.Settle();

        Check(world, breaks);
    }

    // The silo's wall clock jumps forward: a lease must not look ended early, or another server's write would be
    // acknowledged without revoking a live copy.
    [Fact]
    public void ASiloWallClockStep_DoesNotEndALiveLease()
    {
        var world = World(nameof(ProtocolFlaws.None));
        var (a, b) = (world.Servers[0], world.Servers[1]);
        a.Read(own: true);
        world.Settle();
        world.Cluster.StepWallClock(TimeSpan.FromSeconds(30));
        b.Write();
        world.Settle();
        a.Read(own: true);
        world.Settle();

        Check(world, breaks: false);
    }

    private static SimWorld World(string flaw)
    {
        var world = new SimWorld(new SimSettings { Servers = 2, Flaws = Enum.Parse<ProtocolFlaws>(flaw) }, new FirstChoice());
        world.Start();
        return world;
    }

    private static Func<string, bool> IsFrom(SimServer server) => m => m.StartsWith(server.Node.Name + "->", StringComparison.Ordinal);

    private void Check(SimWorld world, bool breaks)
    {
        output.WriteLine(world.Log);
        if (breaks)
        {
            Assert.NotNull(world.History.Violation);
        }
        else
        {
            Assert.Null(world.History.Violation);
        }
    }
}
