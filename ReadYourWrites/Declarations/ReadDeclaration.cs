using System.Globalization;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// An endpoint's declaration that it reads user data, and whose: the caller's, a user's the request names, or no one
/// user's (shared data); or that it reads from the primary, whoever calls. Endpoint metadata, so a minimal API's filter
/// and an MVC action's find it the same way.
/// </summary>
internal sealed class ReadDeclaration
{
    // Null for the caller's own data, whose owner is the caller the gate identified.
    private readonly Func<HttpContext, string?>? _owner;

    private ReadDeclaration(Func<HttpContext, string?>? owner, bool fromPrimary = false)
    {
        _owner = owner;
        FromPrimary = fromPrimary;
    }

    /// <summary>The caller's own data: read-your-writes applies.</summary>
    public static ReadDeclaration CallerData { get; } = new(null);

    /// <summary>
    /// Data no single user owns, or several users' (a global feed, another user's article with the caller's favorite in
    /// it): eventual for an anonymous reader; for a signed-in reader never older than their own last write, and monotonic.
    /// </summary>
    public static ReadDeclaration SharedData { get; } = new(_ => null);

    /// <summary>
    /// Data that must be current for every caller, signed in or not (credentials at sign-in): a strong read, on the
    /// primary's pool for strong reads.
    /// </summary>
    public static ReadDeclaration PrimaryData { get; } = new(_ => null, fromPrimary: true);

    /// <summary>
    /// The data of the user <paramref name="owner"/> names (null: no one user's). The id comes from the request, so it is
    /// checked: one that is not a valid user id (see <see cref="UserIds"/>) is answered 400 before the endpoint runs.
    /// </summary>
    public static ReadDeclaration UserData(Func<HttpContext, string?> owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return new(owner);
    }

    /// <summary>
    /// The data of the user whose id is the route value <paramref name="routeValue"/>, spelled as the caller's id claim
    /// spells it (no route value: no one user's; a value that is not a valid user id: 400).
    /// </summary>
    public static ReadDeclaration UserDataFromRoute(string routeValue)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(routeValue);
        return UserData(http => http.Request.RouteValues[routeValue] is { } value ? Convert.ToString(value, CultureInfo.InvariantCulture) : null);
    }

    /// <summary>Whose data the request reads, as the request names it (unchecked), given the identified caller.</summary>
    internal string? OwnerOf(HttpContext http, string? caller) => _owner is null ? caller : _owner(http);

    /// <summary>True when the read must run on the primary (<see cref="PrimaryData"/>).</summary>
    internal bool FromPrimary { get; }
}
