using Microsoft.AspNetCore.Mvc.Filters;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The controller action writes the caller's data (MVC's <c>.WritesCallerData()</c>): an anonymous caller is refused
/// (401) before it runs, and its write is recorded before the result is written. <c>Idempotency-Key</c> is honoured by minimal-API endpoints only.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class WritesCallerDataAttribute : Attribute, IFilterFactory
{
    /// <inheritdoc/>
    public bool IsReusable => true;

    /// <inheritdoc/>

    public IFilterMetadata CreateInstance(IServiceProvider serviceProvider) =>
        ActivatorUtilities.CreateInstance<WriteDeclarationActionFilter>(serviceProvider);
}
