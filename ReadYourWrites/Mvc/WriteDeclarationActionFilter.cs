using Microsoft.AspNetCore.Mvc.Filters;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The MVC side of a <see cref="WriteDeclaration"/>: a caller who is not signed in is refused before the action runs;
/// once the action returns (or throws), whatever it may have committed is recorded before the result is written.
/// </summary>
internal sealed class WriteDeclarationActionFilter(ConsistencyGate gate) : IAsyncActionFilter
{
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        if (gate.BeginWrite(context.HttpContext) is { } refused)
        {
            context.Result = refused.ToActionResult();
            return;
        }

        var executed = await next();
        if (executed is { Exception: { } exception, ExceptionHandled: false })
        {
            await gate.WriteFailedAsync(context.HttpContext, exception);
            return;
        }

        if (await gate.EndWriteAsync(context.HttpContext) is { } problem)
        {
            executed.Result = problem.ToActionResult();
        }
    }
}
