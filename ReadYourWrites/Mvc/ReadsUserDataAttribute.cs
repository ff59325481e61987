using Microsoft.AspNetCore.Mvc.Filters;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The controller action reads the data of the user whose id is the route value <see cref="RouteValue"/> (MVC's
/// <c>.ReadsUserData(...)</c>); a value that is not a valid user id (see <see cref="UserIds"/>) is answered 400.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReadsUserDataAttribute(string routeValue) : Attribute, IFilterFactory
{
    /// <summary>The route value that holds the id of the user whose data the action reads.</summary>
    public string RouteValue { get; } = routeValue;

    /// <inheritdoc/>

    public bool IsReusable => true;

    /// <inheritdoc/>

    public IFilterMetadata CreateInstance(IServiceProvider serviceProvider) =>
        ActivatorUtilities.CreateInstance<ReadDeclarationActionFilter>(serviceProvider, ReadDeclaration.UserDataFromRoute(RouteValue));
}
