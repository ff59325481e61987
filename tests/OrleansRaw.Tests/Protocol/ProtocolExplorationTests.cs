using OrleansRaw.Routing;
using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Protocol;

/// <summary>
/// The reader-lease protocol explored over schedules the tests control (<see cref="SimWorld"/>): the product's grain
/// side and server side, one user, 2–3 servers, messages reordered, delayed and lost, servers paused, killed and
/// restarted, the grain's silo killed and the grain deactivated, wall clocks stepped. A failing schedule names the
/// seed that replays it: <c>ORLEANSRAW_EXPLORE_SEED=n ./test --unit --filter ProtocolExploration</c>;
/// <c>ORLEANSRAW_EXPLORE_SCHEDULES=n</c> explores longer by hand.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class ProtocolExplorationTests(ITestOutputHelper output)
{
    private static readonly int Schedules = int.TryParse(Environment.GetEnvironmentVariable("ORLEANSRAW_EXPLORE_SCHEDULES"), out var n) ? n : 1_000;
    private static readonly int? OnlySeed = int.TryParse(Environment.GetEnvironmentVariable("ORLEANSRAW_EXPLORE_SEED"), out var s) ? s : null;

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void NoScheduleOfTheRealProtocol_MissesAnAcknowledgedWrite_OrGoesBack(int servers)
    {
        var settings = new SimSettings { Servers = servers };
        var (failure, reads, writes) = Explore(settings, Schedules, stopAtFirst: true);
        output.WriteLine($"{Schedules} schedules, {servers} servers: {reads} reads, {writes} acknowledged writes");
        Assert.Null(failure);
    }

    // Seeds that once failed. A seed replays its schedule only on the code that found it (a change to the protocol
    // changes the choices a schedule meets), so the sequences themselves are written out in ScriptedScheduleTests;
    // these stay as two more schedules. Seed 47 (3 servers): a read joined a lease request asked for before its server was
    // paused; the grant came back expired and was used anyway, and missed a write another server had acknowledged.
    // Seed 2615 (2 servers): a server read the primary without a decision, could not report it, and its next read,
    // from a late grant, went to a replica behind what it had just served.
    [Theory]
    [InlineData(3, 47)]
    [InlineData(2, 2615)]
    public void RegressionSchedule_KeepsThePromise(int servers, int seed)
    {
        var world = new SimWorld(new SimSettings { Servers = servers }, new RandomChooser(seed));
        var violation = world.Run();
        Assert.True(violation is null, violation + "\n" + Tail(world.Log, 60));
    }

    [Fact]
    public void EverySmallSchedule_WithoutFaults_KeepsThePromise()
    {
        var settings = new SimSettings
        {
            Servers = 2, Operations = 3, MaxSteps = 60, ServerFaults = false, GrainFaults = false, ClockSteps = false, DropMessages = false,
        };
        var explored = SystematicChooser.Explore(chooser => new SimWorld(settings, chooser).Run(), maxSchedules: 20_000, out var failure);
        output.WriteLine($"{explored.Schedules} schedules (all of them: {explored.Exhausted}), {explored.Choices} choices deep at most");
        Assert.Null(failure);
        Assert.True(explored.Schedules > 100, $"only {explored.Schedules} schedules: the systematic search did not branch");
    }

    // The random search finds these within seconds; ReportWithoutRevocation and InstallOvertakenGrant need an ordering
    // it reaches only after minutes, so ScriptedScheduleTests write theirs out (and it finds them when run long).
    public static TheoryData<string> Flaws =>
    [
        nameof(ProtocolFlaws.SkipRevocation),
        nameof(ProtocolFlaws.TrustExpiredCopy),
        nameof(ProtocolFlaws.DropLapseRule),
        nameof(ProtocolFlaws.IgnoreFallbackPosition),
        nameof(ProtocolFlaws.ForgetOthersOnActivation),
    ];

    [Theory]
    [MemberData(nameof(Flaws))]
    public void EachSeededBug_IsFoundByTheExploration(string flaw)
    {
        // Connections reset more often than in the real protocol's runs: most of these mistakes show only when a
        // server reads without a decision while the grain is still reachable.
        var (failure, _, _) = Explore(new SimSettings { Flaws = Enum.Parse<ProtocolFlaws>(flaw), ConnectionResets = 6 }, Schedules * 5, stopAtFirst: true);
        Assert.NotNull(failure);
        output.WriteLine(failure);
    }

    [Fact]
    public void TwoActivationsOfOneUser_BreakThePromise_SoSingleActivationIsNeeded()
    {
        var (failure, _, _) = Explore(new SimSettings { DuplicateActivations = true }, Schedules * 4, stopAtFirst: true);
        Assert.NotNull(failure);
        output.WriteLine(failure);
    }

    private (string? Failure, int Reads, int Writes) Explore(SimSettings settings, int schedules, bool stopAtFirst)
    {
        var (reads, writes) = (0, 0);
        foreach (var seed in OnlySeed is { } only ? [only] : Enumerable.Range(1, schedules))
        {
            var world = new SimWorld(settings, new RandomChooser(seed));
            var violation = world.Run();
            reads += world.History.Reads;
            writes += world.History.Writes;
            if (violation is not null)
            {
                var failure = $"seed {seed}: {violation}";
                output.WriteLine(failure);
                output.WriteLine(Tail(world.Log, 60));
                if (stopAtFirst)
                {
                    return (failure, reads, writes);
                }
            }
        }

        return (null, reads, writes);
    }

    private static string Tail(string log, int lines) => string.Join('\n', log.Split('\n').TakeLast(lines));
}
