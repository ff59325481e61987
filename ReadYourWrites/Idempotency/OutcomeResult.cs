namespace OrleansRaw.ReadYourWrites;

/// <summary>Writes a <see cref="StoredOutcome"/>: the first response to a keyed write, or a replay of it (marked as one).</summary>
internal sealed class OutcomeResult(StoredOutcome outcome, bool replayed) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = outcome.Status;
        if (outcome.ContentType is not null)
        {
            response.ContentType = outcome.ContentType;
        }

        if (outcome.Location is not null)
        {
            response.Headers.Location = outcome.Location;
        }

        if (replayed)
        {
            response.Headers[IdempotencyHeaders.Replayed] = "true";
        }

        if (outcome.Body.Length > 0)
        {
            response.ContentLength = outcome.Body.Length;
            await response.Body.WriteAsync(outcome.Body, httpContext.RequestAborted);
        }
    }
}
