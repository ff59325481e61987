namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The minimal-API side of a <see cref="WriteDeclaration"/>: once the handler returns (or throws), whatever it may have
/// committed is recorded before the response leaves.
/// </summary>
internal sealed class WriteDeclarationFilter(ConsistencyGate gate) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        object? result;
        try
        {
            result = await next(context);
        }
        catch (Exception ex)
        {
            await gate.WriteFailedAsync(http, ex);
            throw;
        }

        var declaration = http.GetEndpoint()?.Metadata.GetMetadata<WriteDeclaration>() ?? WriteDeclaration.CallerData;
        return await gate.EndWriteAsync(http, declaration.NewUser ? result : null) is { } problem ? TypedResults.Problem(problem) : result;
    }
}
