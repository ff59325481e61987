using Microsoft.Extensions.DependencyInjection;
using Orleans.GrainDirectory;
using OrleansRaw.Grains.Hosting;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Grains;

/// <summary>
/// One activation per user, enforced: the user grains and the replica monitor are placed through Orleans' strongly
/// consistent (distributed) grain directory, which every silo that runs <c>AddOrleansRawGrains</c> has, and not
/// through the eventually consistent default that allows duplicate activations while membership settles.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class SingleActivationTests(SystemFixture fixture)
{
    private Deployment System => fixture.Default;

    [Fact]
    public async Task UserGrain_IsRegisteredInTheStronglyConsistentDirectory_AtTheSiloThatHostsIt()
    {
        var grain = System.Grains.GetGrain<IUserConsistencyGrain>(TestUsers.NewKey());
        var view = await grain.GetViewAsync();

        Assert.Equal(2, System.Cluster.Silos.Count);
        foreach (var silo in System.Cluster.Silos)
        {
            // Every silo resolves the same registration: the one activation, on the silo the grain says it runs on.
            var address = await StronglyConsistentDirectory(silo.ServiceProvider).Lookup(grain.GetGrainId());
            Assert.NotNull(address);
            Assert.Equal(view.Silo, address.SiloAddress!.ToString());
        }
    }

    [Fact]
    public async Task ReplicaMonitor_IsRegisteredInTheStronglyConsistentDirectory()
    {
        var monitor = System.Grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster);
        await monitor.GetSnapshotAsync();

        var addresses = new List<string?>();
        foreach (var silo in System.Cluster.Silos)
        {
            var address = await StronglyConsistentDirectory(silo.ServiceProvider).Lookup(monitor.GetGrainId());
            Assert.NotNull(address);
            addresses.Add(address.SiloAddress?.ToString());
        }

        Assert.Single(addresses.Distinct());
    }

    // The directory AddOrleansRawGrains registers, by the name the grain classes give in [GrainDirectory]. Its
    // implementation is internal to Orleans, so the type is checked by name: the default, eventually consistent
    // directory is another class (LocalGrainDirectory), and a grain left on it has no entry here.
    private static IGrainDirectory StronglyConsistentDirectory(IServiceProvider silo)
    {
        var directory = silo.GetRequiredKeyedService<IGrainDirectory>(SingleActivation.DirectoryName);
        Assert.Equal("Orleans.Runtime.GrainDirectory.DistributedGrainDirectory", directory.GetType().FullName);
        return directory;
    }
}
