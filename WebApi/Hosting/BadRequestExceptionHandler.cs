using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.WebUtilities;

namespace OrleansRaw.WebApi.Hosting;

/// <summary>
/// Requests the framework could not bind (malformed JSON, wrong types, a missing body, a wrong content type) are the
/// client's fault: answer them with their 4xx and a ProblemDetails that says what was wrong, never a 500.
/// </summary>
internal sealed class BadRequestExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        await Problems.WriteAsync(context, bad.StatusCode, ReasonPhrases.GetReasonPhrase(bad.StatusCode), Describe(context, bad));
        return true;
    }

    // The framework's own messages name our .NET types or speak to developers; say what the client got wrong instead.
    private static string Describe(HttpContext context, BadHttpRequestException bad) => bad switch
    {
        { InnerException: JsonException json } =>
            $"The request body is not valid JSON of the expected shape at {json.Path ?? "$"} (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}).",
        { StatusCode: StatusCodes.Status400BadRequest, InnerException: null } when AcceptsBody(context) =>
            "A JSON request body is required.",
        _ => bad.Message,
    };

    // The failed endpoint, as the exception handler saw it (it clears the request's own endpoint before handlers run).
    private static bool AcceptsBody(HttpContext context) =>
        context.Features.Get<IExceptionHandlerFeature>()?.Endpoint?.Metadata.GetMetadata<IAcceptsMetadata>() is not null;
}
