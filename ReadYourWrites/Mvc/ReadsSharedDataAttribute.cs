using Microsoft.AspNetCore.Mvc.Filters;

namespace OrleansRaw.ReadYourWrites;

/// <summary>The controller action reads data no single user owns (MVC's <c>.ReadsSharedData()</c>).</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReadsSharedDataAttribute : Attribute, IFilterFactory
{
    /// <inheritdoc/>
    public bool IsReusable => true;

    /// <inheritdoc/>

    public IFilterMetadata CreateInstance(IServiceProvider serviceProvider) =>
        ActivatorUtilities.CreateInstance<ReadDeclarationActionFilter>(serviceProvider, ReadDeclaration.SharedData);
}
