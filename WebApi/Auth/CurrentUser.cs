using System.Globalization;
using System.Security.Claims;

namespace OrleansRaw.WebApi.Auth;

/// <summary>
/// Reads the signed-in user's id (the JWT's <c>sub</c>, a positive 64-bit integer): this app's tables key users by
/// number, while the library takes the <c>sub</c> claim's text as it is (see <see cref="Text"/>).
/// </summary>
public static class CurrentUser
{
    public const string SubjectClaim = "sub";

    /// <summary>
    /// The caller's user id, or null when anonymous or when <c>sub</c> is not a positive integer in its invariant text
    /// (<c>"042"</c> is refused: the library would take it for another user than <c>"42"</c>).
    /// </summary>
    public static long? Id(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true
        && user.FindFirstValue(SubjectClaim) is { } sub
        && long.TryParse(sub, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
        && id > 0 && sub == Text(id) ? id : null;

    /// <summary>The library's user id for this app's user <paramref name="id"/>: its invariant text, as the tokens' <c>sub</c> spells it.</summary>
    public static string Text(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>The id of a caller already admitted by the <see cref="AuthSetup.SignedInUser"/> policy.</summary>
    public static long RequiredId(ClaimsPrincipal user) =>
        Id(user) ?? throw new InvalidOperationException("The endpoint must require the signed-in-user policy.");
}
