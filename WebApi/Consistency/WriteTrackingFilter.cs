using Dapper;
using Microsoft.Extensions.Options;
using OrleansRaw.WebApi.Auth;
using OrleansRaw.WebApi.Data;

namespace OrleansRaw.WebApi.Consistency;

/// <summary>
/// After a declared write committed: read the primary's WAL position in a new statement, record it in the user's grain
/// (durably, retrying through a silo failover), and hand the client a consistency token. Only then does the response leave.
/// </summary>
internal static partial class WriteTrackingFilter
{
    public static EndpointFilterDelegate Wrap(EndpointFilterDelegate next) => async context =>
    {
        var result = await next(context);
        var http = context.HttpContext;
        if (http.RequestServices.GetRequiredService<IOptions<ConsistencyApiOptions>>().Value.Direct)
        {
            return result;
        }

        var db = http.RequestServices.GetRequiredService<RoutedDatabase>();
        if (!db.Wrote || CurrentUser.Id(http.User) is not { } userId)
        {
            return result;
        }

        var services = http.RequestServices;
        var lsn = await ReadWrittenEndAsync(services.GetRequiredService<DataSources>(), http.RequestAborted);
        var write = new WriteRecord(lsn, services.GetRequiredService<TimeProvider>().GetUtcNow());
        var recorded = await RecordAsync(services, userId, write);
        services.GetRequiredService<Observability.ApiInstruments>().WriteCompleted(recorded);
        if (!recorded)
        {
            http.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem(
                "Your change was saved, but the system could not yet remember it for your next reads. Please retry shortly.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Write recorded partially");
        }

        var token = services.GetRequiredService<ConsistencyTokens>().Issue(userId, lsn);
        http.Response.Headers[ConsistencyHeaders.Token] = token;
        if (db.HandedOffJobs.Count > 0)
        {
            await AttachTokenAsync(services.GetRequiredService<DataSources>(), db.HandedOffJobs, token, http.RequestAborted);
        }

        return result;
    };

    // After COMMIT, in a statement of its own: a position read inside the transaction could precede its commit record.
    private static async Task<Lsn> ReadWrittenEndAsync(DataSources sources, CancellationToken cancellationToken)
    {
        await using var connection = await sources.Primary.OpenConnectionAsync(cancellationToken);
        var text = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT pg_current_wal_insert_lsn()::text", cancellationToken: cancellationToken));
        return Lsn.Parse(text!).ToWrittenEnd();
    }

    // A job enqueued without its token (the API died just here) is still processed, after a delay, from the primary.
    private static async Task AttachTokenAsync(DataSources sources, IReadOnlyList<long> jobs, string token, CancellationToken cancellationToken)
    {
        await using var connection = await sources.Primary.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE jobs SET consistency_token = @token WHERE id = ANY(@jobs)", new { token, jobs = jobs.ToArray() }, cancellationToken: cancellationToken));
    }

    private static async Task<bool> RecordAsync(IServiceProvider services, long userId, WriteRecord write)
    {
        var grain = services.GetRequiredService<IGrainFactory>().GetGrain<IUserConsistencyGrain>(userId);
        var options = services.GetRequiredService<IOptions<ConsistencyApiOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WriteTrackingFilter));
        var clock = services.GetRequiredService<TimeProvider>();
        var started = clock.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await grain.RecordWriteAsync(write).WaitAsync(options.DecisionTimeout);
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
                LogRecordFailed(logger, userId, write.Lsn.ToString(), ex.Message);
                return false;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording write of user {UserId} failed (attempt {Attempt}), retrying: {Error}")]
    private static partial void LogRecordRetry(ILogger logger, long userId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Write of user {UserId} at {Lsn} committed but could not be recorded: {Error}")]
    private static partial void LogRecordFailed(ILogger logger, long userId, string lsn, string error);
}
