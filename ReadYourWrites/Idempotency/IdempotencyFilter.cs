using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Makes a write endpoint idempotent under an <c>Idempotency-Key</c>: the first request's outcome is stored in its
/// write's transaction; a repeat with the same key and request replays that outcome without writing (marked
/// <c>Idempotent-Replayed: true</c>); the same key with another request answers 422. Runs inside the write-tracking
/// filter, so a replay's position is recorded and tokened like a write's. Requests without the header pass through.
/// </summary>
internal sealed class IdempotencyFilter(CallerIds callers, IOptions<IdempotencyOptions> options, ReadYourWritesMetrics instruments) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var header = http.Request.Headers[IdempotencyHeaders.Key];

        // Keys are per user; the write declaration refused an anonymous caller before this ran.
        if (header.Count == 0 || callers.Of(http.User) is not { } userId)
        {
            return await next(context);
        }

        if (IdempotentRequest.KeyError(header) is { } error)
        {
            return TypedResults.Problem(error, statusCode: StatusCodes.Status400BadRequest, title: "Invalid Idempotency-Key");
        }

        var fingerprint = await RequestFingerprint.ComputeAsync(http.Request, http.RequestAborted);
        var db = http.RequestServices.GetRequiredService<RoutedDatabase>();
        db.Context.Idempotency = new IdempotentRequest(userId, header[0]!, fingerprint, options.Value.KeepFor);
        object? result;
        try
        {
            result = await next(context);
        }
        catch (IdempotencyKeyUsedException used)
        {
            instruments.KeyedWrite(used.Use switch
            {
                KeyUse.SameRequest => "replayed",
                KeyUse.OtherRequest => "other-request",
                _ => "unfinished",
            });
            return Answer(http, used);
        }

        // The handler refused before writing (a validation problem): nothing to keep, the key stays free.
        if (!db.KeyedWritePending)
        {
            return result;
        }

        var outcome = await OutcomeCapture.RunAsync(http, result);
        await db.CommitKeyedWriteAsync(outcome, http.RequestAborted);
        instruments.KeyedWrite("stored");
        return new OutcomeResult(outcome, replayed: false);
    }

    private static IResult Answer(HttpContext http, IdempotencyKeyUsedException used)
    {
        switch (used.Use)
        {
            case KeyUse.SameRequest:
                return new OutcomeResult(used.Outcome!, replayed: true);
            case KeyUse.OtherRequest:
                return TypedResults.Problem(
                    $"This {IdempotencyHeaders.Key} was already used for a different request (method, path or body). Use a new key for a new write.",
                    statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused");
            default:
                http.Response.Headers.RetryAfter = "1";
                return TypedResults.Problem(
                    $"A request with this {IdempotencyHeaders.Key} is still being processed. Retry shortly.",
                    statusCode: StatusCodes.Status409Conflict, title: "Idempotency-Key in use");
        }
    }
}
