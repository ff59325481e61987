using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace OrleansRaw.WebApi.Hosting;

/// <summary>
/// A database that cannot be reached (the primary is down or failing over) is a 503 with <c>Retry-After</c>, not a 500:
/// the client should simply try again shortly.
/// </summary>
public sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception))
        {
            return false;
        }

        LogUnavailable(logger, context.Request.Method, context.Request.Path, exception.Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Database unavailable",
                Detail = "The database is not reachable right now (for example during a failover). Retry shortly.",
            },
        });
    }

    // Connection-level failures (no host, no primary among the hosts, broken socket) and the server's own "going away"
    // states are unavailability; any other server error is a bug or bad data and stays a 500.
    private static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "25006" } => true, // shutting down, starting up, read-only
        PostgresException => false,
        NpgsqlException => true,
        TimeoutException => true,
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: the database is unavailable ({Error})")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string error);
}
