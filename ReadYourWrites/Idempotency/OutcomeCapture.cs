using Microsoft.AspNetCore.Http.Features;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Runs an endpoint's result into a buffer instead of the response, so the exact status, headers and body can be
/// stored with the key before the write commits. The response is left as it was, ready for the captured copy.
/// </summary>
internal static class OutcomeCapture
{
    public static async Task<StoredOutcome> RunAsync(HttpContext http, object? result)
    {
        var executable = result as IResult ?? TypedResults.Ok(result);
        var response = http.Response;
        var headersBefore = response.Headers.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var statusBefore = response.StatusCode;
        var original = http.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        using var buffer = new MemoryStream();
        var capture = new StreamResponseBodyFeature(buffer, original);
        http.Features.Set<IHttpResponseBodyFeature>(capture);
        try
        {
            await executable.ExecuteAsync(http);
            await capture.CompleteAsync();
        }
        finally
        {
            http.Features.Set(original);
            capture.Dispose();
        }

        var outcome = new StoredOutcome(response.StatusCode, response.ContentType, response.Headers.Location.FirstOrDefault(), buffer.ToArray());
        response.StatusCode = statusBefore;
        foreach (var added in response.Headers.Keys.Where(k => !headersBefore.Contains(k)).ToList())
        {
            response.Headers.Remove(added);
        }

        return outcome;
    }
}
