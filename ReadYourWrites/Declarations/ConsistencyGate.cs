using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Mvc;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// What every declaration does around its endpoint, whichever way it was declared (a minimal-API convention or an MVC
/// attribute). Before a read: verify any consistency token, admit a strong read, take the routing decision. After it:
/// note where it ran and how far it reached, and answer with the consistency headers. After a write: record it in the
/// user's grain and hand the client a token. Before either: identify the caller (a signed-in caller without a usable
/// user id is refused, never served as anonymous; a write needs a signed-in caller). A refusal comes back as a <see cref="ProblemDetails"/> to answer with.
/// </summary>
internal sealed class ConsistencyGate(
    IReadRouting router,
    ConsistencyTokens tokens,
    StrongReadLimiter strongReads,
    CallerIds callers,
    IWriteRecording writes,
    ReadYourWritesMetrics metrics)
{
    /// <summary>The <c>policy</c> tag of strong reads refused because the bulkhead was full.</summary>
    public const string CriticalReadBulkheadPolicy = "critical-read-bulkhead";

    /// <summary>
    /// Starts the read's routing span (null when no tracer listens). The caller keeps it current around the whole read,
    /// so the decision's grain call and the handler's database commands show under it, and disposes it at the end.
    /// </summary>
    public Activity? StartRouting(HttpContext http) =>
        http.RequestServices.GetRequiredService<ConsistencyContext>().Routing = RoutingSpan.Start();

    public async Task<ProblemDetails?> BeginReadAsync(HttpContext http, ReadDeclaration declaration)
    {
        var context = http.RequestServices.GetRequiredService<ConsistencyContext>();
        var refused = await AdmitAndDecideAsync(http, context, declaration);
        RoutingSpan.Refused(context.Routing, refused?.Status);
        return refused;
    }

    private async Task<ProblemDetails?> AdmitAndDecideAsync(HttpContext http, ConsistencyContext context, ReadDeclaration declaration)
    {
        if (callers.Identify(http.User, out var reader) is { } unidentified)
        {
            return unidentified;
        }

        // A user id the request names (a route value) is the client's word: checked before it keys a grain or a query.
        var owner = declaration.OwnerOf(http, reader);
        if (owner is not null && UserIds.Error(owner) is { } invalid)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid user id", $"The user id this request names is not a usable user id. {invalid}");
        }

        WalPosition? clientPosition = null;
        if (http.Request.Headers.TryGetValue(ConsistencyHeaders.Token, out var tokenValues))
        {
            var position = WalPosition.Zero;
            var error = "Send at most one consistency token.";
            if (tokenValues.Count != 1 || !tokens.TryRead(tokenValues[0], reader, out position, out error))
            {
                return Problem(StatusCodes.Status400BadRequest, "Invalid consistency token", error);
            }

            clientPosition = position;
        }

        var critical = IsCritical(http.Request);
        if (critical && reader is null)
        {
            // A strong read costs the primary; only a signed-in (and so rate-limitable, accountable) caller may ask for one.
            return Problem(StatusCodes.Status401Unauthorized, "Authentication required",
                "Strong reads (consistency=strong) need a signed-in user: send a bearer token.");
        }

        if (critical && !strongReads.TryAcquire(reader!, out var retryAfter))
        {
            RetryAfter(http, retryAfter);
            return Problem(StatusCodes.Status429TooManyRequests, "Too many strong reads",
                "Too many strong reads: they always run on the primary. Read without consistency=strong, or retry later.");
        }

        // A declared strong read is the app's choice, not the client's: no sign-in or per-user limit applies to it, and
        // the bulkhead still bounds how much of the primary such reads take.
        await router.DecideAsync(context, new ReadRequest(reader, owner, critical || declaration.FromPrimary, clientPosition), http.RequestAborted);
        return null;
    }

    /// <summary>The answer to a read that failed with <paramref name="exception"/>, or null when it is not the gate's to answer.</summary>
    public ProblemDetails? ReadFailed(HttpContext http, Exception exception)
    {
        if (exception is not CriticalReadsBusyException)
        {
            return null;
        }

        metrics.RequestRateLimited(CriticalReadBulkheadPolicy);
        http.Response.Headers.RetryAfter = "1";
        return Problem(StatusCodes.Status503ServiceUnavailable, "Too many strong reads at once",
            "Every primary connection reserved for strong reads is busy. Read without consistency=strong, or retry shortly.");
    }

    public async Task EndReadAsync(HttpContext http)
    {
        var context = http.RequestServices.GetRequiredService<ConsistencyContext>();
        if (context.Request is not { } request || context.Decision is not { } decision)
        {
            return;
        }

        await router.NoteServedAsync(request, decision, context);
        if (request.ReaderId is { } userId && !context.ServedAt.IsZero)
        {
            http.Response.Headers[ConsistencyHeaders.Token] = tokens.Issue(userId, WalPosition.Latest(context.ServedAt, request.ClientPosition ?? WalPosition.Zero));
        }

        http.Response.Headers[ConsistencyHeaders.ReadSource] = context.ReadSource
            ?? (decision.Replica is { } replica ? ReadSources.Replica(replica) : ReadSources.Primary);
        http.Response.Headers[ConsistencyHeaders.Reason] = context.ReadReason ?? decision.Reason;
    }

    /// <summary>
    /// Before a write endpoint runs: a write of the caller's data needs a signed-in caller with a usable user id, or it
    /// could be recorded for no one's next reads.
    /// </summary>
    public ProblemDetails? BeginWrite(HttpContext http)
    {
        if (callers.Identify(http.User, out var writer) is { } unidentified)
        {
            return unidentified;
        }

        return writer is null
            ? Problem(StatusCodes.Status401Unauthorized, "Authentication required",
                "This endpoint writes the caller's data, which needs a signed-in user (so that their next reads see the write): send credentials.")
            : null;
    }

    /// <summary>
    /// After a write endpoint returned: records what it wrote and hands the client a token; a problem (503) when a
    /// committed write could not be recorded in time.
    /// </summary>
    /// <param name="http">The request.</param>
    /// <param name="signUpResult">
    /// For a sign-up (<see cref="WriteDeclaration.NewUserData"/>), what its handler returned: a success that wrote but signed
    /// no one in throws, since its write could be recorded for no one. Null for a write of the caller's data.
    /// </param>
    public async Task<ProblemDetails?> EndWriteAsync(HttpContext http, object? signUpResult = null)
    {
        var context = http.RequestServices.GetRequiredService<ConsistencyContext>();
        if (WriterToRecord(http, context) is not { } userId)
        {
            if (signUpResult is not null && context.Wrote && StatusOf(signUpResult) is null or (>= 200 and < 300))
            {
                throw new InvalidOperationException(
                    "An endpoint declared WritesNewUserData() wrote and succeeded without signing the new user in: set HttpContext.User to the "
                    + "new user's principal (with the claim Consistency:UserIdClaim names) before returning, so the write is recorded as theirs.");
            }

            return null;
        }

        var position = await writes.RecordAsync(http, userId, context, null);
        if (position is null)
        {
            http.Response.Headers.RetryAfter = "1";
            return Problem(StatusCodes.Status503ServiceUnavailable, "Write recorded partially",
                "Your change was saved, but the system could not yet remember it for your next reads. Please retry shortly.");
        }

        http.Response.Headers[ConsistencyHeaders.Token] = tokens.Issue(userId, position.Value);
        return null;
    }

    /// <summary>
    /// After a write endpoint threw: a write that may have committed is recorded all the same, on a deadline of its
    /// own. A client that hung up gets the whole recording deadline; a database error a short one, so an unreachable
    /// primary still answers 503 promptly (the write then most likely did not commit).
    /// </summary>
    public async Task WriteFailedAsync(HttpContext http, Exception exception)
    {
        var context = http.RequestServices.GetRequiredService<ConsistencyContext>();
        if (WriterToRecord(http, context) is { } userId)
        {
            var aborted = exception is OperationCanceledException || http.RequestAborted.IsCancellationRequested;
            await writes.RecordAsync(http, userId, context, aborted ? null : WriteRecorder.FailedWriteDeadline);
        }
    }

    // The signed-in user whose write this request must record, or null: nothing was written, or no one is signed in.
    private string? WriterToRecord(HttpContext http, ConsistencyContext context) =>
        !context.Wrote ? null : callers.Of(http.User);

    // The status a minimal API's result answers with, through a Results<...> union; null when it does not say.
    private static int? StatusOf(object result) => result switch
    {
        INestedHttpResult nested => StatusOf(nested.Result),
        IStatusCodeHttpResult { StatusCode: { } status } => status,
        _ => null,
    };

    private static bool IsCritical(HttpRequest request) =>
        string.Equals(request.Query["consistency"], "strong", StringComparison.OrdinalIgnoreCase)
        || string.Equals(request.Headers[ConsistencyHeaders.ReadConsistency], "strong", StringComparison.OrdinalIgnoreCase);

    private static void RetryAfter(HttpContext http, TimeSpan wait) =>
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static ProblemDetails Problem(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };
}
