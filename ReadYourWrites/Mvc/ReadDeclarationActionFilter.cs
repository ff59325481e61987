using Microsoft.AspNetCore.Mvc.Filters;

namespace OrleansRaw.ReadYourWrites;

/// <summary>The MVC side of a <see cref="ReadDeclaration"/>: the gate around a controller action.</summary>
internal sealed class ReadDeclarationActionFilter(ConsistencyGate gate, CallerIds callers, ReadDeclaration declaration) : IAsyncActionFilter
{
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        var http = context.HttpContext;
        using var routing = gate.StartRouting(http);
        if (await gate.BeginReadAsync(http, declaration.OwnerOf(http, callers), declaration.FromPrimary) is { } refused)
        {
            context.Result = refused.ToActionResult();
            return;
        }

        var executed = await next();
        if (executed is { Exception: { } exception, ExceptionHandled: false } && gate.ReadFailed(http, exception) is { } problem)
        {
            executed.Result = problem.ToActionResult();
            executed.ExceptionHandled = true;
            return;
        }

        await gate.EndReadAsync(http);
    }
}
