using Microsoft.AspNetCore.Mvc.Filters;

namespace OrleansRaw.ReadYourWrites;

/// <summary>The controller action reads the caller's own data (MVC's <c>.ReadsCallerData()</c>).</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReadsCallerDataAttribute : Attribute, IFilterFactory
{
    /// <inheritdoc/>
    public bool IsReusable => true;

    /// <inheritdoc/>

    public IFilterMetadata CreateInstance(IServiceProvider serviceProvider) =>
        ActivatorUtilities.CreateInstance<ReadDeclarationActionFilter>(serviceProvider, ReadDeclaration.CallerData);
}
