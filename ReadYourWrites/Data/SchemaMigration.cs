namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Applies the migrations as the host starts: after every option was validated (so a misconfigured API never touches
/// the database) and before the server takes requests.
/// </summary>
internal sealed class SchemaMigration(DataSources sources, Func<Npgsql.NpgsqlDataSource, CancellationToken, Task> apply) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => apply(sources.Primary, cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
