using System.Globalization;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// An endpoint's declaration that it reads user data, and whose: the caller's, a user's the request names, or no one
/// user's (shared data). Endpoint metadata, so a minimal API's filter and an MVC action's find it the same way.
/// </summary>
internal sealed class ReadDeclaration
{
    private readonly Func<HttpContext, CallerIds, long?> _owner;

    private ReadDeclaration(Func<HttpContext, CallerIds, long?> owner) => _owner = owner;

    /// <summary>The caller's own data: read-your-writes applies.</summary>
    public static ReadDeclaration CallerData { get; } = new((http, callers) => callers.Of(http.User));

    /// <summary>Data no single user owns (a global feed): eventual, monotonic for a signed-in reader.</summary>
    public static ReadDeclaration SharedData { get; } = new((_, _) => null);

    /// <summary>The data of the user <paramref name="owner"/> names (null: no one user's).</summary>
    public static ReadDeclaration UserData(Func<HttpContext, long?> owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return new((http, _) => owner(http));
    }

    /// <summary>The data of the user whose id is the route value <paramref name="routeValue"/> (a positive integer; else no one user's).</summary>
    public static ReadDeclaration UserDataFromRoute(string routeValue)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(routeValue);
        return UserData(http => long.TryParse(http.Request.RouteValues[routeValue]?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && id > 0 ? id : null);
    }

    internal long? OwnerOf(HttpContext http, CallerIds callers) => _owner(http, callers);
}
