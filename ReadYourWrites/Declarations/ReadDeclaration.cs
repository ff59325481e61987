using System.Globalization;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// An endpoint's declaration that it reads user data, and whose: the caller's, a user's the request names, or no one
/// user's (shared data); or that it reads from the primary, whoever calls. Endpoint metadata, so a minimal API's filter
/// and an MVC action's find it the same way.
/// </summary>
public sealed class ReadDeclaration
{
    private readonly Func<HttpContext, CallerIds, long?> _owner;

    private ReadDeclaration(Func<HttpContext, CallerIds, long?> owner, bool fromPrimary = false)
    {
        _owner = owner;
        FromPrimary = fromPrimary;
    }

    /// <summary>The caller's own data: read-your-writes applies.</summary>
    public static ReadDeclaration CallerData { get; } = new((http, callers) => callers.Of(http.User));

    /// <summary>
    /// Data no single user owns, or several users' (a global feed, another user's article with the caller's favorite in
    /// it): eventual for an anonymous reader; for a signed-in reader never older than their own last write, and monotonic.
    /// </summary>
    public static ReadDeclaration SharedData { get; } = new((_, _) => null);

    /// <summary>
    /// Data that must be current for every caller, signed in or not (credentials at sign-in): a strong read, on the
    /// primary's pool for strong reads.
    /// </summary>
    public static ReadDeclaration PrimaryData { get; } = new((_, _) => null, fromPrimary: true);

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

    /// <summary>True when the read must run on the primary (<see cref="PrimaryData"/>).</summary>
    internal bool FromPrimary { get; }
}
