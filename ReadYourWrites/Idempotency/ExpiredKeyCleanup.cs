using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Deletes expired idempotency keys every <see cref="IdempotencyOptions.CleanupInterval"/>. Every API instance runs
/// it; the deletes are idempotent and indexed, so several instances cost only a few cheap statements.
/// </summary>
internal sealed partial class ExpiredKeyCleanup(DataSources sources, IOptions<IdempotencyOptions> options, TimeProvider clock, ILogger<ExpiredKeyCleanup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CleanupInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var deleted = await IdempotencyKeyStore.DeleteExpiredAsync(sources.Primary, stoppingToken);
                    if (deleted > 0)
                    {
                        LogDeleted(logger, deleted);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deleted {Count} expired idempotency keys")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting expired idempotency keys failed, will retry: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
