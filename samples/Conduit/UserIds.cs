using System.Security.Claims;

namespace Conduit;

/// <summary>
/// The one place that knows what a user id looks like: how a new one is made (a Guid's text), and where a signed-in
/// caller's is found — where the library finds it too (JwtBearer's default mapping puts the token's <c>sub</c> in
/// NameIdentifier). A user id is text everywhere else (the JWT's <c>sub</c>, the tables' keys).
/// </summary>
public static class UserIds
{
    /// <summary>A new user's id.</summary>
    public static string New() => Guid.NewGuid().ToString();

    /// <summary>The signed-in caller's id (JwtBearer maps the token's <c>sub</c> to <see cref="ClaimTypes.NameIdentifier"/>), or null.</summary>
    public static string? Of(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null;

    /// <summary>The caller of an endpoint that requires authorization.</summary>
    public static string Caller(ClaimsPrincipal user) =>
        Of(user) ?? throw new InvalidOperationException("The endpoint requires a signed-in caller with a sub claim.");

    /// <summary>The principal of a user signed in by this request (a sign-up), so their write is recorded as theirs.</summary>
    public static ClaimsPrincipal SignedIn(string id) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id)], authenticationType: "Token"));

}
