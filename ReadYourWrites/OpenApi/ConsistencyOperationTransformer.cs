using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Documents the consistency contract on the operations that declare a read or a write: what the declaration's gate
/// reads from the request, sets on the response and refuses with. Operations without a declaration are left alone.
/// </summary>
internal sealed class ConsistencyOperationTransformer : IOpenApiOperationTransformer
{
    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var reads = metadata.Any(m => m is ReadDeclaration or ReadsCallerDataAttribute or ReadsUserDataAttribute or ReadsSharedDataAttribute);
        var writes = metadata.Any(m => m is WriteDeclaration or WritesCallerDataAttribute);
        if (!reads && !writes)
        {
            return;
        }

        var contract = new ContractComponents(context);
        if (reads)
        {
            await DocumentReadAsync(operation, contract, cancellationToken);
        }

        if (writes)
        {
            // Idempotency-Key is honoured by the minimal-API declaration only (its filter); an MVC action ignores it.
            await DocumentWriteAsync(operation, contract, keyed: metadata.Any(m => m is WriteDeclaration), cancellationToken);
        }
    }

    private static async Task DocumentReadAsync(OpenApiOperation operation, ContractComponents contract, CancellationToken cancellationToken)
    {
        contract.AddParameters(operation, ContractComponents.TokenParameter, ContractComponents.ReadConsistencyParameter, ContractComponents.StrongQueryParameter);

        // Whatever the handler answered went through the routing decision: it says where it ran, and why.
        foreach (var response in HandlerResponses(operation))
        {
            contract.AddHeaders(response, ConsistencyHeaders.ReadSource, ConsistencyHeaders.Reason, ConsistencyHeaders.Token);
        }

        await contract.AddProblemAsync(operation, StatusCodes.Status400BadRequest,
            "The consistency token is not valid: malformed, forged, another user's (or sent without signing in), or sent more than once.",
            cancellationToken: cancellationToken);
        await contract.AddProblemAsync(operation, StatusCodes.Status401Unauthorized,
            "A strong read (consistency=strong, or X-Read-Consistency: strong) needs a signed-in user.",
            cancellationToken: cancellationToken);
        await contract.AddProblemAsync(operation, StatusCodes.Status429TooManyRequests,
            "Too many strong reads by this user: they all run on the primary. Read without asking for strong consistency, or retry after Retry-After seconds.",
            retryAfter: true, cancellationToken);
        await contract.AddProblemAsync(operation, StatusCodes.Status503ServiceUnavailable,
            "Every primary connection kept for strong reads is busy, or the database is unreachable. Retry after Retry-After seconds.",
            retryAfter: true, cancellationToken);
    }

    private static async Task DocumentWriteAsync(OpenApiOperation operation, ContractComponents contract, bool keyed, CancellationToken cancellationToken)
    {
        if (keyed)
        {
            contract.AddParameters(operation, ContractComponents.IdempotencyKeyParameter);
        }

        foreach (var response in HandlerResponses(operation, successOnly: true))
        {
            contract.AddHeaders(response, ConsistencyHeaders.Token);
            if (keyed)
            {
                contract.AddHeaders(response, IdempotencyHeaders.Replayed);
            }
        }

        if (keyed)
        {
            await contract.AddProblemAsync(operation, StatusCodes.Status400BadRequest,
                "The Idempotency-Key is not valid: send one, of 1 to 255 printable ASCII characters.", cancellationToken: cancellationToken);
            await contract.AddProblemAsync(operation, StatusCodes.Status409Conflict,
                "A request with this Idempotency-Key is still being processed. Retry after Retry-After seconds.", retryAfter: true, cancellationToken);
            await contract.AddProblemAsync(operation, StatusCodes.Status422UnprocessableEntity,
                "This Idempotency-Key was already used for a different request (method, path or body). Use a new key for a new write.",
                cancellationToken: cancellationToken);
        }

        await contract.AddProblemAsync(operation, StatusCodes.Status503ServiceUnavailable,
            "The database is unreachable, or the write was saved but could not yet be remembered for this user's next reads. "
            + (keyed ? "Retry after Retry-After seconds with the same Idempotency-Key: a write that was saved is not written again."
                : "Retry after Retry-After seconds."),
            retryAfter: true, cancellationToken);
    }

    // The responses the endpoint's handler declares (its typed results: successes, and a 404 for what it did not find),
    // taken before the gate's own refusals are added.
    private static List<IOpenApiResponse> HandlerResponses(OpenApiOperation operation, bool successOnly = false) =>
        [.. (operation.Responses ?? [])
            .Where(r => int.TryParse(r.Key, out var status)
                && (status is >= 200 and < 300 || (!successOnly && status == StatusCodes.Status404NotFound)))
            .Select(r => r.Value)];
}
