namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The minimal-API side of a <see cref="WriteDeclaration"/>: a caller who is not signed in is refused before the handler
/// runs; once the handler returns (or throws), whatever it may have committed is recorded before the response leaves.
/// </summary>
internal sealed class WriteDeclarationFilter(ConsistencyGate gate) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var declaration = http.GetEndpoint()?.Metadata.GetMetadata<WriteDeclaration>() ?? WriteDeclaration.CallerData;
        // A sign-up comes in anonymous; its handler signs the new user in, and the end of the write checks that it did.
        if (!declaration.NewUser && gate.BeginWrite(http) is { } refused)
        {
            return TypedResults.Problem(refused);
        }

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

        return await gate.EndWriteAsync(http, declaration.NewUser ? result : null) is { } problem ? TypedResults.Problem(problem) : result;
    }
}
