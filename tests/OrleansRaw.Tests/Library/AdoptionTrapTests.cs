using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansRaw.Grains.Hosting;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.Hosting;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Routing;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Library;

/// <summary>
/// The mistakes a new app made while adopting the library, each of which used to pass start and fail later (or never):
/// now each one works, or fails at start with a message that names the fix.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class AdoptionTrapTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["Database:Primary"] = "Host=127.0.0.1;Port=1;Username=postgres",
        ["Database:Replicas:0:Name"] = "replica-1",
        ["Database:Replicas:0:ConnectionString"] = "Host=127.0.0.1;Port=2;Username=postgres",
        ["Database:Replicas:1:Name"] = "replica-2",
        ["Database:Replicas:1:ConnectionString"] = "Host=127.0.0.1;Port=3;Username=postgres",
        ["Consistency:TokenSigningKey"] = Deployment.SigningKey,
    };

    [Theory]
    [InlineData(null, null)]
    [InlineData("shop-prod", "shop")]
    public void SiloAndClient_OnTheSameSettings_AgreeOnTheClusterIds(string? clusterId, string? serviceId)
    {
        var settings = new Dictionary<string, string?>(Valid) { ["Orleans:ClusterId"] = clusterId, ["Orleans:ServiceId"] = serviceId };

        var silo = ClusterOf(Silo(settings));
        var client = ClusterOf(Client(settings));

        Assert.Equal((silo.ClusterId, silo.ServiceId), (client.ClusterId, client.ServiceId));
        Assert.Equal(clusterId ?? new ClusterOptions().ClusterId, silo.ClusterId);
        Assert.Equal(serviceId ?? new ClusterOptions().ServiceId, silo.ServiceId);
    }

    [Fact]
    public void AWebAppThatIsAlsoASilo_BindsEachSectionOnce()
    {
        var builder = Silo(Valid);
        builder.Services.AddReadYourWrites(builder.Configuration);
        using var host = builder.Build();

        var replicas = host.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.Replicas;
        Assert.Equal(["replica-1", "replica-2"], replicas.Select(r => r.Name));
        Assert.Single(host.Services.GetServices<IHostedService>().OfType<ReplicaSnapshotFeed>());
    }

    [Theory]
    [InlineData("Consistency:ReaderLeaseTime", "00:00:01", "Consistency:ReaderLeaseTime (did you mean Consistency:ReaderLease?)")]
    [InlineData("Consistency:Mod", "Eventual", "Consistency:Mod (did you mean Consistency:Mode?)")]
    [InlineData("Database:Replicas:0:ConnectionStrng", "Host=x", "Database:Replicas:0:ConnectionStrng (did you mean Database:Replicas:0:ConnectionString?)")]
    [InlineData("Idempotency:KeepForever", "true", "Idempotency:KeepForever")]
    [InlineData("Consistency:Mode", "7", "Consistency:Mode=7 (it takes one of: Lsn, Window, AlwaysPrimary, Eventual)")]
    [InlineData("Consistency:Mode", "2", "Consistency:Mode=2 (it takes one of: Lsn, Window, AlwaysPrimary, Eventual)")]
    public void AMisspelledSetting_FailsAtStart_NamingItAndTheNearestSetting(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?>(Valid) { [key] = value };
        var configuration = Configuration(settings);
        using var services = new ServiceCollection().AddLogging().AddReadYourWrites(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = services.GetRequiredService<IOptions<ConsistencyOptions>>().Value;
            _ = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            _ = services.GetRequiredService<IOptions<IdempotencyOptions>>().Value;
        });
        Assert.Contains($"Unknown setting {expected}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Rename or remove it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMisspelledModeValue_FailsAtStart_NamingTheValuesItTakes()
    {
        var settings = new Dictionary<string, string?>(Valid) { ["Consistency:Mode"] = "Eventul" };
        using var services = new ServiceCollection().AddLogging().AddReadYourWrites(Configuration(settings)).BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IOptions<ConsistencyOptions>>().Value);
        Assert.Contains("'Eventul' at 'Consistency:Mode'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"Consistency:Mode takes one of: {string.Join(", ", Enum.GetNames<ConsistencyMode>())}.", error.Message, StringComparison.Ordinal);
        Assert.Contains("Lsn, Window, AlwaysPrimary, Eventual", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.InnerException);
    }

    [Fact]
    public void AMisspelledReplicaMonitorSetting_FailsTheSiloAtStart()
    {
        var settings = new Dictionary<string, string?>(Valid) { ["ReplicaMonitor:PollIntervall"] = "00:00:01" };
        using var host = Silo(settings).Build();

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<ReplicaMonitorOptions>>().Value);
        Assert.Contains("ReplicaMonitor:PollIntervall (did you mean ReplicaMonitor:PollInterval?)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSettingsOfOtherLibraries_InTheirOwnSections_AreLeftAlone()
    {
        var settings = new Dictionary<string, string?>(Valid) { ["Orleans:Membership:ProbeTimeout"] = "00:00:01", ["Logging:LogLevel:Default"] = "Debug" };
        using var services = new ServiceCollection().AddLogging().AddReadYourWrites(Configuration(settings)).BuildServiceProvider();

        Assert.Equal(2, services.GetRequiredService<IOptions<DatabaseOptions>>().Value.Replicas.Count);
    }

    [Fact]
    public async Task AnAppWithoutAnOrleansClient_FailsAtStart_NamingTheWaysToGetOne()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(Valid);
        builder.Services.AddReadYourWrites(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.True(error.Message.Contains("UseOrleansRawClient", StringComparison.Ordinal)
            && error.Message.Contains("AddOrleansRawGrains", StringComparison.Ordinal), error.Message);
    }

    private static HostApplicationBuilder Silo(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings.Where(s => s.Value is not null));
        builder.UseOrleans(silo => silo.UseRedisClustering("127.0.0.1:1").AddOrleansRawGrains(builder.Configuration));
        return builder;
    }

    private static HostApplicationBuilder Client(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings.Where(s => s.Value is not null));
        builder.UseOrleansRawClient();
        return builder;
    }

    private static ClusterOptions ClusterOf(HostApplicationBuilder builder)
    {
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Where(s => s.Value is not null)).Build();
}
