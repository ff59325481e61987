using System.Globalization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using OrleansRaw.WebApi.Hosting;

namespace OrleansRaw.WebApi.Contract;

/// <summary>
/// What the hosting pipeline answers on an endpoint before or after its handler: problems for request bodies it
/// cannot take, the write rate limit's 429, and a ProblemDetails body for the bare error statuses a handler returns
/// (the status-code pages write one).
/// </summary>
internal sealed class PipelineResponses : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.RequestBody is not null)
        {
            await operation.AddProblemResponseAsync(context, StatusCodes.Status400BadRequest,
                "The request is not valid: the body is missing or not JSON of the expected shape, or a field's value is out of range (the problem's `errors` name the field).",
                cancellationToken: cancellationToken);
            await operation.AddProblemResponseAsync(context, StatusCodes.Status413PayloadTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"The request body is larger than {ApiHosting.MaxRequestBodyBytes} bytes."),
                cancellationToken: cancellationToken);
            await operation.AddProblemResponseAsync(context, StatusCodes.Status415UnsupportedMediaType,
                "The request body is not application/json.", cancellationToken: cancellationToken);
        }

        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<EnableRateLimitingAttribute>().Any())
        {
            await operation.AddProblemResponseAsync(context, StatusCodes.Status429TooManyRequests,
                "Too many writes by this user (the limit is per user and second). Retry after Retry-After seconds.",
                retryAfter: true, cancellationToken);
        }

        foreach (var (key, response) in (operation.Responses ?? []).ToList())
        {
            if (int.TryParse(key, CultureInfo.InvariantCulture, out var status) && status >= 400 && response.Content is not { Count: > 0 })
            {
                await operation.AddProblemResponseAsync(context, status, DescriptionOf(status), cancellationToken: cancellationToken);
            }
        }
    }

    private static string DescriptionOf(int status) => status == StatusCodes.Status404NotFound
        ? "There is no such resource."
        : Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
