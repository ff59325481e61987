using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OrleansRaw.ReadYourWrites;

/// <summary>Puts the consistency contract into an app's OpenAPI document.</summary>
public static class ReadYourWritesOpenApi
{
    /// <summary>
    /// Documents, on every operation that declares a read or a write (<c>.ReadsCallerData()</c>, <c>.WritesCallerData()</c>
    /// and the like, or their MVC attributes), what the layer adds to it: the request headers it reads
    /// (<c>X-Consistency-Token</c>, <c>X-Read-Consistency</c> and <c>?consistency=strong</c> on reads,
    /// <c>Idempotency-Key</c> on writes), the response headers it sets (<c>X-Read-Source</c>,
    /// <c>X-Consistency-Reason</c>, <c>X-Consistency-Token</c>, <c>Idempotent-Replayed</c>, <c>Retry-After</c>) and
    /// the problems it answers with (400, 401, 409, 422, 429, 503), as <c>application/problem+json</c>.
    /// </summary>
    public static OpenApiOptions AddReadYourWritesContract(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AddOperationTransformer<ConsistencyOperationTransformer>();
    }

    /// <summary>
    /// Documents that <paramref name="operation"/> may answer <paramref name="status"/> with a ProblemDetails
    /// (<c>application/problem+json</c>), for the reason <paramref name="description"/> gives, and with a
    /// <c>Retry-After</c> header when <paramref name="retryAfter"/>; the same definitions the contract uses, for an
    /// app's own refusals. A response already documented for that status keeps what it says and gains the reason.
    /// </summary>
    public static Task AddProblemResponseAsync(this OpenApiOperation operation, OpenApiOperationTransformerContext context, int status,
        string description, bool retryAfter = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        return new ContractComponents(context).AddProblemAsync(operation, status, description, retryAfter, cancellationToken);
    }
}
