using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using OrleansRaw.Grains.Hosting;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Grains;

/// <summary>The strongly consistent directory that <c>AddOrleansRawGrains</c> adds cannot be lost to a host's own call unnoticed.</summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class SingleActivationSetupTests
{
    [Fact]
    public void AddOrleansRawGrains_AfterTheHostMadeTheDistributedDirectoryItsDefault_FailsAtStart_NamingTheFix()
    {
        // Orleans adds the distributed directory under the first name it is given: ours would be missing, and the
        // grains would fail at their first call instead.
        var builder = Host.CreateApplicationBuilder();
        var configuration = new ConfigurationBuilder().Build();
        var error = Assert.Throws<InvalidOperationException>(() => builder.UseOrleans(silo =>
        {
#pragma warning disable ORLEANSEXP003
            silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
            silo.AddOrleansRawGrains(configuration);
        }));
        Assert.Contains("remove the host's AddDistributedGrainDirectory() call", error.Message);
    }
}
