namespace OrleansRaw.ReadYourWrites;

/// <summary>The minimal-API side of a <see cref="ReadDeclaration"/>: the gate around the endpoint's handler.</summary>
internal sealed class ReadDeclarationFilter(ConsistencyGate gate, CallerIds callers) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var declaration = http.GetEndpoint()?.Metadata.GetMetadata<ReadDeclaration>() ?? ReadDeclaration.CallerData;
        using var routing = gate.StartRouting(http);
        if (await gate.BeginReadAsync(http, declaration.OwnerOf(http, callers), declaration.FromPrimary) is { } refused)
        {
            return TypedResults.Problem(refused);
        }

        object? result;
        try
        {
            result = await next(context);
        }
        catch (Exception ex) when (gate.ReadFailed(http, ex) is { } problem)
        {
            return TypedResults.Problem(problem);
        }

        await gate.EndReadAsync(http);
        return result;
    }
}
