using OrleansRaw.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// The product's promise end to end (HTTP → grains → real lagging replicas): in Lsn mode no own read is ever stale;
/// the Eventual baseline under the same lag is, which proves the lag was real.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ReadYourWritesTests(SystemFixture fixture, ITestOutputHelper output)
{
    private const int Pairs = 2000;
    private const int Users = 40;

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    [InlineData(300)]
    public async Task OwnReads_AfterWrites_AreNeverStale_InLsnMode(int lagMs)
    {
        await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(lagMs));
        try
        {
            var result = await OwnReadWorkload.RunAsync(fixture.Default, Pairs, Users, OwnReadWorkload.PostThenListOwnPosts);
            output.WriteLine($"Lsn mode, {lagMs} ms lag: {result}");
            Assert.Equal(0, result.Stale);
            if (lagMs == 0)
            {
                Assert.True(result.PrimaryShare < 0.5, "with no lag most own reads should be served by replicas");
            }
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task OwnReads_AreNeverStale_ThroughALagSpikeToTwoSeconds()
    {
        await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(50));
        try
        {
            var spiked = false;
            var result = await OwnReadWorkload.RunAsync(fixture.Default, Pairs, Users, OwnReadWorkload.PostThenListOwnPosts, async done =>
            {
                if (done == Pairs / 4 && !spiked)
                {
                    spiked = true;
                    await fixture.Db.SetLagAsync("replica-1", TimeSpan.FromSeconds(2));
                    await fixture.Db.SetLagAsync("replica-2", TimeSpan.FromSeconds(2));
                }
            });
            output.WriteLine($"Lsn mode, 50 ms lag spiking to 2 s: {result}");
            Assert.Equal(0, result.Stale);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task OwnReads_GoStale_InEventualMode_UnderTheSameLag()
    {
        var eventual = await fixture.DeploymentAsync("eventual", new Dictionary<string, string?> { ["Consistency:Mode"] = "Eventual" });
        await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(300));
        try
        {
            var result = await OwnReadWorkload.RunAsync(eventual, 400, Users, OwnReadWorkload.PostThenListOwnPosts);
            output.WriteLine($"Eventual mode, 300 ms lag: {result}");
            Assert.True(result.Stale > 0, "the naive route showed no stale read: the lag was not real");
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task OwnReads_AreNeverStale_InWindowMode_WhileLagIsUnderTheGracePeriod()
    {
        var window = await fixture.DeploymentAsync("window", new Dictionary<string, string?> { ["Consistency:Mode"] = "Window", ["Consistency:GracePeriod"] = "00:00:05" });
        await fixture.Db.SetLagAsync(TimeSpan.FromMilliseconds(300));
        try
        {
            var result = await OwnReadWorkload.RunAsync(window, Pairs, Users, OwnReadWorkload.PostThenListOwnPosts);
            output.WriteLine($"Window mode (5 s), 300 ms lag: {result}");
            Assert.Equal(0, result.Stale);
        }
        finally
        {
            await fixture.Db.SetLagAsync(TimeSpan.Zero);
        }
    }
}
