using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Applies the migrations as the host starts: after every option was validated (so a misconfigured API never touches
/// the database) and before the server takes requests. This library's set comes first, then the app's in the order
/// they were added. With <c>Database:ApplyMigrations=false</c> it applies nothing and only checks the library's schema.
/// </summary>
internal sealed class SchemaMigration(DataSources sources, IOptions<DatabaseOptions> options, IEnumerable<MigrationSet> appSets,
    ILogger<SchemaMigration> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var apps = appSets.ToList();
        if (options.Value.ApplyMigrations)
        {
            await SchemaMigrator.ApplyAsync(sources.Primary, [MigrationSet.Library, .. apps], logger, cancellationToken);
            return;
        }

        if (apps.Count > 0)
        {
            throw new InvalidOperationException(
                $"Database:ApplyMigrations is false, yet AddSchemaMigrations added {string.Join(", ", apps.Select(a => a.Owner))}'s migrations, " +
                "which would not be applied: apply them with your migration tool and remove the call, or set Database:ApplyMigrations=true.");
        }

        await SchemaMigrator.CheckLibrarySchemaAsync(sources.Primary, cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
