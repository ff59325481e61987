using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// A deployment cannot switch the promise's protections off by accident: outside Development the API refuses to start
/// with development tokens or a signing key published in this repository, and it checks that before it touches the
/// database (the database named here does not exist: a migration run first would fail differently).
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class UnsafeSettingsTests
{
    [Theory]
    [InlineData("Production", "true", "a-secret-of-this-deployment-0123456789-abcdef")]
    [InlineData("Production", "false", Deployment.SigningKey)]
    [InlineData("Staging", "false", "LOCAL-DEVELOPMENT-ONLY-signing-key-never-use-in-production")]
    [InlineData("Production", "false", "local-development-only-signing-key-change-me-0123456789")]
    public void OutsideDevelopment_TheApiRefusesToStart_WithDevelopmentCredentials_BeforeTouchingTheDatabase(string environment, string devTokens, string key)
    {
        var settings = Deployment.BaseSettings(new Dictionary<string, string?>
        {
            ["environment"] = environment,
            ["Auth:EnableDevTokens"] = devTokens,
            ["Auth:SigningKey"] = key,
        });
        settings["Database:Primary"] = settings["Database:Primary"]!.Replace("Database=orleansraw", "Database=orleansraw_never_created", StringComparison.Ordinal);

        using var api = new Deployment.ApiFactory(null, settings);
        var error = Assert.ThrowsAny<Exception>(() => api.Server);
        Assert.Contains("Refusing to start outside Development with development credentials", error.ToString());
        Assert.DoesNotContain("orleansraw_never_created", error.ToString());
    }
}
