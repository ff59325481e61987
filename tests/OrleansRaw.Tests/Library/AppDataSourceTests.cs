using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Routing;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Library;

/// <summary>
/// An app that registers its own <see cref="NpgsqlDataSource"/>s (Aspire's keyed data sources) names them in the
/// <c>Database</c> section, and the layer uses those — not data sources of its own — and leaves them to the app.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class AppDataSourceTests
{
    // Nothing listens there: no test here opens a connection that should succeed.
    private const string Nowhere = "Host=127.0.0.1;Port=1;Username=postgres;Timeout=1";

    private static readonly Dictionary<string, string?> ByKey = new()
    {
        ["Database:PrimaryDataSource"] = "app-primary",
        ["Database:Replicas:0:Name"] = "replica-1",
        ["Database:Replicas:0:DataSource"] = "app-replica-1",
        ["Database:Replicas:1:Name"] = "replica-2",
        ["Database:Replicas:1:ConnectionString"] = Nowhere,
        ["Consistency:TokenSigningKey"] = Deployment.SigningKey,
    };

    [Fact]
    public async Task KeyedDataSources_TheSettingsName_AreTheOnesReadsAndWritesUse_AndStayTheApps()
    {
        await using var primary = NpgsqlDataSource.Create(Nowhere);
        await using var replica = NpgsqlDataSource.Create(Nowhere);
        var services = App(ByKey);
        services.AddKeyedSingleton("app-primary", primary);
        services.AddKeyedSingleton("app-replica-1", replica);
        await using (var provider = services.BuildServiceProvider())
        {
            var sources = provider.GetRequiredService<DataSources>();

            Assert.Same(primary, sources.Primary);
            Assert.Same(primary, sources.CriticalReads);
            Assert.Same(replica, sources.Replica("replica-1"));
            Assert.NotNull(sources.Replica("replica-2"));
            Assert.NotSame(replica, sources.Replica("replica-2"));
        }

        // Disposing the layer's services did not dispose the app's: opening still tries to connect.
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await primary.OpenConnectionAsync());
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await replica.OpenConnectionAsync());
    }

    [Fact]
    public async Task OnTheSilo_TheMonitorProbes_TheKeyedDataSources_AndFailsAtStartWithoutThem()
    {
        var options = Options.Create(Configuration(ByKey).GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>()!);
        await using var primary = NpgsqlDataSource.Create(Nowhere);
        await using var replica = NpgsqlDataSource.Create(Nowhere);
        var services = new ServiceCollection().AddKeyedSingleton("app-primary", primary).AddKeyedSingleton("app-replica-1", replica);
        await using (var provider = services.BuildServiceProvider())
        {
            await using var probes = new DatabaseProbes(options, provider);
            Assert.Equal(["replica-1", "replica-2"], probes.ReplicaNames);
        }

        await using var without = new ServiceCollection().AddKeyedSingleton("app-primary", primary).BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => new DatabaseProbes(options, without));
        Assert.Contains("Database:Replicas:0:DataSource names the data source 'app-replica-1'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKeyNoDataSourceIsRegisteredUnder_FailsAtStart_NamingTheRegistration()
    {
        await using var provider = App(ByKey).BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<DataSources>());
        Assert.Contains("Database:PrimaryDataSource names the data source 'app-primary'", error.Message, StringComparison.Ordinal);
        Assert.Contains("builder.AddKeyedNpgsqlDataSource(\"app-primary\")", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Database:PrimaryDataSource", null, "Database:Primary (a connection string) or Database:PrimaryDataSource (the key of an NpgsqlDataSource the app registered) is required")]
    [InlineData("Database:Primary", Nowhere, "Database:Primary and Database:PrimaryDataSource are both set: set either Primary (a connection string) or PrimaryDataSource")]
    [InlineData("Database:Replicas:1:Name", null, "Database:Replicas:1:Name is required")]
    [InlineData("Database:Replicas:1:ConnectionString", null, "Database:Replicas:1:ConnectionString or Database:Replicas:1:DataSource (the key of an NpgsqlDataSource the app registered) is required for replica 'replica-2'")]
    [InlineData("Database:Replicas:0:ConnectionString", Nowhere, "Database:Replicas:0:ConnectionString and Database:Replicas:0:DataSource are both set for replica 'replica-1'")]
    [InlineData("Database:CommandTimeout", "00:00:09", "Database:CommandTimeout is not applied to the data sources the app registered")]
    [InlineData("Database:MaxAutoPrepare", "0", "Database:MaxAutoPrepare is not applied to the data sources the app registered")]
    public async Task AMissingOrConflictingSetting_FailsAtStart_SayingWhatToDo(string key, string? value, string expected)
    {
        await using var provider = App(new Dictionary<string, string?>(ByKey) { [key] = value }).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DatabaseOptions>>().Value);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(key.StartsWith("Database:Replicas", StringComparison.Ordinal),
            error.Message.Contains("(Replicas is a list: Database:Replicas:0:Name, Database:Replicas:0:ConnectionString,", StringComparison.Ordinal));
    }

    private static ServiceCollection App(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLogging().AddReadYourWrites(Configuration(settings));
        return services;
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Where(s => s.Value is not null)).Build();
}
