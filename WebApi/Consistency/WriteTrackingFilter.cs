using Microsoft.Extensions.Options;
using OrleansRaw.WebApi.Auth;

namespace OrleansRaw.WebApi.Consistency;

/// <summary>
/// After a declared write: take the primary's position after the commit, record it in the user's grain (retrying
/// through a silo failover), and hand the client a consistency token. Only then does the response leave. A write that
/// may have committed is recorded even when the handler fails or the client hangs up: recording runs on its own
/// deadline, never on the request's.
/// </summary>
internal static partial class WriteTrackingFilter
{
    private static readonly TimeSpan FailedWriteDeadline = TimeSpan.FromSeconds(2);

    public static EndpointFilterDelegate Wrap(EndpointFilterDelegate next) => async context =>
    {
        var http = context.HttpContext;
        if (http.RequestServices.GetRequiredService<IOptions<ConsistencyApiOptions>>().Value.Direct)
        {
            // The benchmark's baseline: no routing layer, so nothing to record.
            return await next(context);
        }

        var db = http.RequestServices.GetRequiredService<RoutedDatabase>();
        object? result;
        try
        {
            result = await next(context);
        }
        catch (Exception ex) when (db.Wrote && CurrentUser.Id(http.User) is not null)
        {
            // A client that hung up gets the whole recording deadline; a database error gets a short one, so an
            // unreachable primary still answers 503 promptly (then the write most likely did not commit).
            var aborted = ex is OperationCanceledException || http.RequestAborted.IsCancellationRequested;
            await TrackAsync(http, db, CurrentUser.Id(http.User)!.Value, aborted ? null : FailedWriteDeadline);
            throw;
        }

        if (!db.Wrote || CurrentUser.Id(http.User) is not { } userId)
        {
            return result;
        }

        var position = await TrackAsync(http, db, userId, null);
        if (position is null)
        {
            http.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem(
                "Your change was saved, but the system could not yet remember it for your next reads. Please retry shortly.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Write recorded partially");
        }

        http.Response.Headers[ConsistencyHeaders.Token] = http.RequestServices.GetRequiredService<ConsistencyTokens>().Issue(userId, position.Value);
        return result;
    };

    /// <summary>Records the request's write in the user's grain; the position recorded, or null when it could not be.</summary>
    private static async Task<WalPosition?> TrackAsync(HttpContext http, RoutedDatabase db, long userId, TimeSpan? limit)
    {
        var services = http.RequestServices;
        var options = services.GetRequiredService<IOptions<ConsistencyApiOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WriteTrackingFilter));
        var clock = services.GetRequiredService<TimeProvider>();
        using var deadline = new CancellationTokenSource(limit ?? options.RecordWriteTimeout, clock);
        WalPosition position;
        try
        {
            position = await db.WrittenPositionAsync(deadline.Token);
        }
        catch (Exception ex)
        {
            LogPositionUnavailable(logger, userId, ex.Message);
            services.GetRequiredService<Observability.ApiInstruments>().WriteCompleted(false);
            return null;
        }

        var recorded = await RecordAsync(services, userId, new WriteRecord(position, clock.GetUtcNow()), options, logger, clock);
        services.GetRequiredService<Observability.ApiInstruments>().WriteCompleted(recorded);
        return recorded ? position : null;
    }

    private static async Task<bool> RecordAsync(IServiceProvider services, long userId, WriteRecord write, ConsistencyApiOptions options, ILogger logger, TimeProvider clock)
    {
        var leases = services.GetRequiredService<ReaderLeases>();
        // The grain may first wait out the lease of a server it cannot reach.
        var timeout = options.DecisionTimeout + services.GetRequiredService<IOptions<Routing.ConsistencyOptions>>().Value.ReaderLease;
        var started = clock.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await leases.RecordWriteAsync(userId, write).WaitAsync(timeout);
                return true;
            }
            catch (Exception ex) when (clock.GetElapsedTime(started) < options.RecordWriteTimeout)
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
    private static partial void LogRecordRetry(ILogger logger, long userId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Write of user {UserId} at {Lsn} committed but could not be recorded: {Error}")]
    private static partial void LogRecordFailed(ILogger logger, long userId, string lsn, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Write of user {UserId} may have committed but the primary's position could not be read: {Error}")]
    private static partial void LogPositionUnavailable(ILogger logger, long userId, string error);
}
