using Microsoft.AspNetCore.Mvc.Filters;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The MVC side of a <see cref="WriteDeclaration"/>: once the action returns (or throws), whatever it may have
/// committed is recorded before the result is written.
/// </summary>
internal sealed class WriteDeclarationActionFilter(ConsistencyGate gate) : IAsyncActionFilter
{
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
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
