using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Routing;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Library;

/// <summary>
/// An app's migrations are found, or the start fails naming the fix, before any database is touched (the primary here
/// is a port nobody listens on); and the library's script is its migrations, byte for byte.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class MigrationSetTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Database:Primary"] = "Host=127.0.0.1;Port=1;Username=postgres;Timeout=1",
        ["Consistency:TokenSigningKey"] = Deployment.SigningKey,
    };

    [Fact]
    public async Task WrongPrefix_FailsAtStart_NamingTheResourcesAndTheFix()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            StartMigrationAsync(Settings, s => s.AddSchemaMigrations(typeof(MigrationSetTests).Assembly, "OrleansRaw.Tests.Data.Migrations.")));

        Assert.Contains("no .sql file under \"OrleansRaw.Tests.Data.Migrations.\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("OrleansRaw.Tests.Library.Migrations.0001_initial.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("<EmbeddedResource Include=\"Data\\Migrations\\*.sql\" />", error.Message, StringComparison.Ordinal);
        Assert.Contains("<RootNamespace>.Data.Migrations.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAPrefix_TheMigrationsFolderIsFound()
    {
        Assert.Equal(["0001_initial", "0002_jobs_and_user_stats", "0003_replay_wait_and_job_positions"],
            new MigrationSet(typeof(OrleansRaw.WebApi.Hosting.ApiHosting).Assembly, null).Load().Select(m => m.Version));
        Assert.Equal(["0001_initial"], new MigrationSet(typeof(MigrationSetTests).Assembly, null).Load().Select(m => m.Version));
    }

    [Fact]
    public void WithoutAPrefix_AnAssemblyWithoutMigrations_Fails()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new MigrationSet(typeof(DatabaseOptions).Assembly, null).Load());
        Assert.Contains("no .sql file in a Migrations folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileNotNamedNNNN_name_IsRefused()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new MigrationSet(typeof(MigrationSetTests).Assembly, "OrleansRaw.Tests.Library.MisnamedMigrations.").Load());
        Assert.Contains("\"initial.sql\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("NNNN_name.sql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneAssemblyAddedTwice_FailsAtStart()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartMigrationAsync(Settings, s => s
            .AddSchemaMigrations(typeof(MigrationSetTests).Assembly)
            .AddSchemaMigrations(typeof(MigrationSetTests).Assembly, "OrleansRaw.Tests.Library.Migrations.")));
        Assert.Contains("OrleansRaw.Tests has more than one set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OptOut_WithAppMigrationsAdded_FailsAtStart()
    {
        var settings = new Dictionary<string, string?>(Settings) { ["Database:ApplyMigrations"] = "false" };
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            StartMigrationAsync(settings, s => s.AddSchemaMigrations(typeof(MigrationSetTests).Assembly)));
        Assert.Contains("Database:ApplyMigrations is false, yet AddSchemaMigrations added OrleansRaw.Tests", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Migrations_AreAppliedUnlessTurnedOff()
    {
        Assert.True(new DatabaseOptions().ApplyMigrations);
        using var services = Build(new Dictionary<string, string?>(Settings) { ["Database:ApplyMigrations"] = "false" }, _ => { });
        Assert.False(services.GetRequiredService<IOptions<DatabaseOptions>>().Value.ApplyMigrations);
    }

    [Fact]
    public void TheSchemaScript_IsTheLibrarysMigrations()
    {
        // As scripts/schema-sql writes it: a header, then each file under a line naming it.
        var header = File.ReadLines(ScriptPath).TakeWhile(l => l.Length > 0).Select(l => l + "\n");
        var expected = string.Concat(header) + string.Concat(MigrationSet.Library.Load().Select(m => $"\n-- {m.Version}.sql\n{m.Sql}"));
        Assert.True(expected == File.ReadAllText(ScriptPath),
            "scripts/sql/orleansraw-schema.sql differs from ReadYourWrites/Data/Migrations: run scripts/schema-sql");
        Assert.StartsWith("-- The schema of the OrleansRaw.ReadYourWrites library", expected, StringComparison.Ordinal);
    }

    private static string ScriptPath => Path.Combine(RepoPaths.Root, "scripts", "sql", "orleansraw-schema.sql");

    /// <summary>The migration service as <c>AddReadYourWrites</c> registers it, started as the host would.</summary>
    private static async Task StartMigrationAsync(Dictionary<string, string?> settings, Action<IServiceCollection> addMigrations)
    {
        var collection = Services(settings, addMigrations);
        Assert.Single(collection, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(SchemaMigration));
        await using var services = collection.BuildServiceProvider();
        await ActivatorUtilities.CreateInstance<SchemaMigration>(services).StartingAsync(CancellationToken.None);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection> addMigrations) =>
        Services(settings, addMigrations).BuildServiceProvider();

    private static IServiceCollection Services(Dictionary<string, string?> settings, Action<IServiceCollection> addMigrations)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddReadYourWrites(configuration);
        addMigrations(services);
        return services;
    }
}
