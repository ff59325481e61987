using Microsoft.AspNetCore.Mvc.Filters;

namespace OrleansRaw.ReadYourWrites;

/// <summary>The controller action reads the caller's own data (MVC's <c>.ReadsCallerData()</c>).</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReadsCallerDataAttribute : Attribute, IFilterFactory
{
    public bool IsReusable => true;

    public IFilterMetadata CreateInstance(IServiceProvider serviceProvider) =>
        ActivatorUtilities.CreateInstance<ReadDeclarationActionFilter>(serviceProvider, ReadDeclaration.CallerData);
}

/// <summary>The controller action reads the data of the user whose id is the route value <see cref="RouteValue"/> (MVC's <c>.ReadsUserData(...)</c>).</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReadsUserDataAttribute(string routeValue) : Attribute, IFilterFactory
{
    public string RouteValue { get; } = routeValue;

    public bool IsReusable => true;

    public IFilterMetadata CreateInstance(IServiceProvider serviceProvider) =>
        ActivatorUtilities.CreateInstance<ReadDeclarationActionFilter>(serviceProvider, ReadDeclaration.UserDataFromRoute(RouteValue));
}

/// <summary>The controller action reads data no single user owns (MVC's <c>.ReadsSharedData()</c>).</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReadsSharedDataAttribute : Attribute, IFilterFactory
{
    public bool IsReusable => true;

    public IFilterMetadata CreateInstance(IServiceProvider serviceProvider) =>
        ActivatorUtilities.CreateInstance<ReadDeclarationActionFilter>(serviceProvider, ReadDeclaration.SharedData);
}

/// <summary>
/// The controller action writes the caller's data (MVC's <c>.WritesCallerData()</c>); its write is recorded before the
/// result is written. <c>Idempotency-Key</c> is honoured by minimal-API endpoints only.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class WritesCallerDataAttribute : Attribute, IFilterFactory
{
    public bool IsReusable => true;

    public IFilterMetadata CreateInstance(IServiceProvider serviceProvider) =>
        ActivatorUtilities.CreateInstance<WriteDeclarationActionFilter>(serviceProvider);
}
