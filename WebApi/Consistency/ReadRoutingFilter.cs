using OrleansRaw.WebApi.Auth;

namespace OrleansRaw.WebApi.Consistency;

/// <summary>Before a declared read: build the read request, verify any consistency token, get the decision. After: say where it ran.</summary>
internal sealed class ReadRoutingFilter(Func<HttpContext, long?> owner)
{
    /// <summary>The <c>policy</c> tag of strong reads refused because the bulkhead was full.</summary>
    public const string CriticalReadBulkheadPolicy = "critical-read-bulkhead";

    public EndpointFilterDelegate Wrap(EndpointFilterDelegate next) => async context =>
    {
        var http = context.HttpContext;
        var reader = CurrentUser.Id(http.User);
        WalPosition? clientPosition = null;
        if (http.Request.Headers.TryGetValue(ConsistencyHeaders.Token, out var tokenValues))
        {
            var tokens = http.RequestServices.GetRequiredService<ConsistencyTokens>();
            var position = WalPosition.Zero;
            var error = "Send at most one consistency token.";
            if (tokenValues.Count != 1 || !tokens.TryRead(tokenValues[0], reader, out position, out error))
            {
                return TypedResults.Problem(error, statusCode: StatusCodes.Status400BadRequest, title: "Invalid consistency token");
            }

            clientPosition = position;
        }

        var critical = IsCritical(http.Request);
        if (critical && reader is null)
        {
            // A strong read costs the primary; only a signed-in (and so rate-limitable, accountable) caller may ask for one.
            return TypedResults.Problem("Strong reads (consistency=strong) need a signed-in user: send a bearer token.",
                statusCode: StatusCodes.Status401Unauthorized, title: "Authentication required");
        }

        if (critical && !http.RequestServices.GetRequiredService<StrongReadLimiter>().TryAcquire(reader!.Value, out var retryAfter))
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem("Too many strong reads: they always run on the primary. Read without consistency=strong, or retry later.",
                statusCode: StatusCodes.Status429TooManyRequests, title: "Too many strong reads");
        }

        var request = new ReadRequest(reader, owner(http), critical, clientPosition);
        var db = http.RequestServices.GetRequiredService<RoutedDatabase>();
        db.Decision = await http.RequestServices.GetRequiredService<ReadRouter>().DecideAsync(request, http.RequestAborted);

        object? result;
        try
        {
            result = await next(context);
        }
        catch (Data.CriticalReadsBusyException)
        {
            http.RequestServices.GetRequiredService<Observability.ApiInstruments>().RequestRateLimited(CriticalReadBulkheadPolicy);
            http.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem("Every primary connection reserved for strong reads is busy. Read without consistency=strong, or retry shortly.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Too many strong reads at once");
        }

        await http.RequestServices.GetRequiredService<ReadRouter>().NoteServedAsync(reader, db.Decision, db, request.IsOwnRead);
        if (reader is { } userId && !db.ServedAt.IsZero)
        {
            http.Response.Headers[ConsistencyHeaders.Token] = http.RequestServices.GetRequiredService<ConsistencyTokens>()
                .Issue(userId, WalPosition.Latest(db.ServedAt, clientPosition ?? WalPosition.Zero));
        }

        http.Response.Headers[ConsistencyHeaders.ReadSource] = db.ReadSource
            ?? (db.Decision.Replica is { } replica ? Observability.ReadSources.Replica(replica) : Observability.ReadSources.Primary);
        http.Response.Headers[ConsistencyHeaders.Reason] = db.ReadReason ?? db.Decision.Reason;
        return result;
    };

    private static bool IsCritical(HttpRequest request) =>
        string.Equals(request.Query["consistency"], "strong", StringComparison.OrdinalIgnoreCase)
        || string.Equals(request.Headers[ConsistencyHeaders.ReadConsistency], "strong", StringComparison.OrdinalIgnoreCase);
}
