using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OrleansRaw.WebApi.Contract;

/// <summary>
/// The OpenAPI document served at <c>/openapi/v1.json</c>: each endpoint's own metadata (name, summary, typed
/// results), then what the hosting pipeline answers on any endpoint, then the read-your-writes contract.
/// </summary>
public static class OpenApiSetup
{
    public static IServiceCollection AddOrleansRawOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer<DocumentDescription>();
            // The pipeline's responses come first, so the contract's reasons are added to them rather than replaced.
            options.AddOperationTransformer<BearerSecurity>();
            options.AddOperationTransformer<PipelineResponses>();
            options.AddReadYourWritesContract();
        });

    /// <summary>Documents that the endpoint answers <paramref name="status"/> with a ProblemDetails, for the reason <paramref name="description"/> gives.</summary>
    public static RouteHandlerBuilder DocumentsProblem(this RouteHandlerBuilder builder, int status, string description, bool retryAfter = false) =>
        builder.AddOpenApiOperationTransformer((operation, context, cancellationToken) =>
            operation.AddProblemResponseAsync(context, status, description, retryAfter, cancellationToken));
}
