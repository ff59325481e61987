using System.Globalization;
using System.Security.Claims;

namespace OrleansRaw.WebApi.Auth;

/// <summary>Reads the signed-in user's id (the JWT's <c>sub</c>, a positive 64-bit integer).</summary>
public static class CurrentUser
{
    public const string SubjectClaim = "sub";

    /// <summary>The caller's user id, or null when anonymous or when <c>sub</c> is not a positive integer.</summary>
    public static long? Id(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true
        && long.TryParse(user.FindFirstValue(SubjectClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
        && id > 0 ? id : null;

    /// <summary>The id of a caller already admitted by the <see cref="AuthSetup.SignedInUser"/> policy.</summary>
    public static long RequiredId(ClaimsPrincipal user) =>
        Id(user) ?? throw new InvalidOperationException("The endpoint must require the signed-in-user policy.");
}
