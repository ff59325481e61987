using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Records a request's write where the user's next reads will look for it: the primary's position after the commit,
/// in the user's grain (or this server's leased copy of it), retrying through a silo failover. Recording runs on its
/// own deadline, never on the request's, so a client that hangs up cannot leave a committed write unrecorded. Then the
/// app's hand-off handlers hear of it.
/// </summary>
internal sealed partial class WriteRecorder(
    ReaderLeases leases,
    ConsistencyTokens tokens,
    IEnumerable<IWriteRecordedHandler> handlers,
    IOptions<ConsistencyOptions> options,
    ReadYourWritesMetrics metrics,
    TimeProvider clock,
    ILogger<WriteRecorder> logger) : IWriteRecording
{
    /// <summary>How long a write whose handler failed keeps trying to record itself.</summary>
    public static readonly TimeSpan FailedWriteDeadline = TimeSpan.FromSeconds(2);

    private readonly IWriteRecordedHandler[] _handlers = [.. handlers];

    /// <summary>The position recorded for the request's write, or null when it could not be recorded within the deadline.</summary>
    public async Task<WalPosition?> RecordAsync(HttpContext http, string userId, ConsistencyContext context, TimeSpan? limit)
    {
        var settings = options.Value;
        using var deadline = new CancellationTokenSource(limit ?? settings.RecordWriteTimeout, clock);
        WalPosition position;
        try
        {
            position = await http.RequestServices.GetRequiredService<RoutedDatabase>().WrittenPositionAsync(deadline.Token);
        }
        catch (Exception ex)
        {
            LogPositionUnavailable(logger, userId, ex.Message);
            metrics.WriteCompleted(false);
            return null;
        }

        var recorded = await RecordInGrainAsync(userId, new WriteRecord(position, clock.GetUtcNow()), settings);
        metrics.WriteCompleted(recorded);
        if (!recorded)
        {
            return null;
        }

        var write = new RecordedWrite(userId, position, tokens.Issue(userId, position));
        foreach (var handler in _handlers)
        {
            await handler.OnRecordedAsync(write, deadline.Token);
        }

        return position;
    }

    private async Task<bool> RecordInGrainAsync(string userId, WriteRecord write, ConsistencyOptions settings)
    {
        // The grain may first wait out the lease of a server it cannot reach.
        var timeout = settings.DecisionTimeout + settings.ReaderLease;
        var started = clock.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await leases.RecordWriteAsync(userId, write).WaitAsync(timeout);
                return true;
            }
            catch (Exception ex) when (clock.GetElapsedTime(started) < settings.RecordWriteTimeout)
            {
                // The grain's silo may have just died; membership moves the grain within seconds.
                LogRecordRetry(logger, userId, attempt, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 100 * attempt)));
            }
            catch (Exception ex)
            {
                LogRecordFailed(logger, userId, write.Position.ToString(), ex.Message);
                return false;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording write of user {UserId} failed (attempt {Attempt}), retrying: {Error}")]
    private static partial void LogRecordRetry(ILogger logger, string userId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Write of user {UserId} at {Lsn} committed but could not be recorded: {Error}")]
    private static partial void LogRecordFailed(ILogger logger, string userId, string lsn, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Write of user {UserId} may have committed but the primary's position could not be read: {Error}")]
    private static partial void LogPositionUnavailable(ILogger logger, string userId, string error);
}
