using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Routing;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Api;

/// <summary><c>AddReadYourWrites</c> binds the shared sections and refuses settings that would break the promise, before any request.</summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class ReadYourWritesOptionsTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["Database:Primary"] = "Host=127.0.0.1;Port=1;Username=postgres",
        ["Database:Replicas:0:Name"] = "replica-1",
        ["Database:Replicas:0:ConnectionString"] = "Host=127.0.0.1;Port=2;Username=postgres",
        ["Consistency:TokenSigningKey"] = Deployment.SigningKey,
    };

    [Fact]
    public void ValidSettings_AreBound_WithTheRequestSideDefaults()
    {
        using var services = Build(Valid);
        var consistency = services.GetRequiredService<IOptions<ConsistencyOptions>>().Value;
        var database = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        Assert.Equal("sub", consistency.UserIdClaim);
        Assert.Equal(TimeSpan.FromSeconds(1), consistency.DecisionTimeout);
        Assert.Equal("replica-1", Assert.Single(database.Replicas).Name);
    }

    [Fact]
    public void TheConfigureCallback_RunsAfterBinding()
    {
        using var services = Build(Without(Valid, "Consistency:TokenSigningKey"), o => o.TokenSigningKey = new string('s', 32));
        Assert.Equal(new string('s', 32), services.GetRequiredService<IOptions<ConsistencyOptions>>().Value.TokenSigningKey);
    }

    [Theory]
    [InlineData("Consistency:TokenSigningKey", null, "TokenSigningKey")]
    [InlineData("Consistency:TokenSigningKey", "short", "TokenSigningKey")]
    [InlineData("Database:Primary", null, "Database")]
    [InlineData("Database:Replicas:0:ConnectionString", null, "Database")]
    [InlineData("Database:Replicas:1:Name", "replica-1", "Database")]
    [InlineData("Consistency:UserIdClaim", "", "UserIdClaim")]
    [InlineData("Consistency:DecisionTimeout", "00:05:00", "DecisionTimeout")]
    [InlineData("Consistency:StrongReadsPerSecond", "0", "StrongReadsPerSecond")]
    public void UnsafeOrIncompleteSettings_AreRefused_NamingTheSetting(string key, string? value, string named)
    {
        var settings = new Dictionary<string, string?>(Valid) { [key] = value };
        if (key == "Database:Replicas:1:Name")
        {
            settings["Database:Replicas:1:ConnectionString"] = "Host=127.0.0.1;Port=3";
        }

        using var services = Build(settings);
        var error = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = services.GetRequiredService<IOptions<ConsistencyOptions>>().Value;
            _ = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        });
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<ConsistencyOptions>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Where(s => s.Value is not null)).Build();
        return new ServiceCollection().AddLogging().AddReadYourWrites(configuration, configure).BuildServiceProvider();
    }

    private static Dictionary<string, string?> Without(Dictionary<string, string?> settings, string key) =>
        settings.Where(s => s.Key != key).ToDictionary();
}
