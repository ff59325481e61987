using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Reads the caller's user id from the claim <see cref="ConsistencyOptions.UserIdClaim"/> names (<c>Consistency:UserIdClaim</c>,
/// default <c>sub</c>): any string that is a valid user id (see <see cref="UserIds"/>), taken as it is, so an integer
/// id is its text (<c>"42"</c>) and a GUID or an ASP.NET Identity id works as well. When a signed-in caller has no such
/// claim but has the name .NET's JWT handlers map it to on the way in, that one is read instead: ASP.NET Core's
/// JwtBearer (with its default <c>MapInboundClaims = true</c>) turns <c>sub</c> into
/// <see cref="ClaimTypes.NameIdentifier"/>, where ASP.NET Identity's cookie keeps the user id too. Only the handlers'
/// standard mappings of id-like claims are known (<c>sub</c> and <c>nameid</c> to <see cref="ClaimTypes.NameIdentifier"/>,
/// <c>oid</c>, <c>upn</c>, <c>email</c>, <c>unique_name</c>); for any other claim set the name the principal carries.
/// A signed-in caller is never taken for an anonymous one: without a usable id claim the caller cannot be served (a
/// declared endpoint answers 500 and logs, once per set of claim types, which claims the caller has; a claim that is
/// not a valid user id answers 401).
/// </summary>
public sealed partial class CallerIds(IOptions<ConsistencyOptions> options, ILogger<CallerIds> logger)
{
    /// <summary>The setting that names the user id claim, as the errors name it.</summary>
    public const string UserIdClaimSetting = "Consistency:UserIdClaim";

    // What JwtBearer and JsonWebTokenHandler map these id-like claims to, with their default MapInboundClaims = true.
    private static readonly Dictionary<string, string> InboundMapped = new(StringComparer.Ordinal)
    {
        ["sub"] = ClaimTypes.NameIdentifier,
        ["nameid"] = ClaimTypes.NameIdentifier,
        ["oid"] = "http://schemas.microsoft.com/identity/claims/objectidentifier",
        ["upn"] = ClaimTypes.Upn,
        ["email"] = ClaimTypes.Email,
        ["unique_name"] = ClaimTypes.Name,
    };

    // Shapes of principals already logged; a misconfiguration repeats on every request, its log line once.
    private const int LoggedShapesLimit = 256;

    private readonly string _claim = options.Value.UserIdClaim;
    private readonly ConcurrentDictionary<string, bool> _loggedShapes = new(StringComparer.Ordinal);

    /// <summary>
    /// The caller's user id, or null when the caller is anonymous. Throws <see cref="InvalidOperationException"/> for a
    /// signed-in caller without a valid user id claim (a declared endpoint has already refused such a caller).
    /// </summary>
    public string? Of(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Identify(user, out var id) is { } problem ? throw new InvalidOperationException(problem.Detail) : id;
    }

    /// <summary>Who the caller is: null with the user id (null: anonymous), or the problem to answer when a signed-in caller has no usable id.</summary>
    internal ProblemDetails? Identify(ClaimsPrincipal user, out string? id)
    {
        id = null;
        if (!SignedIn(user))
        {
            return null;
        }

        var mapped = InboundMapped.GetValueOrDefault(_claim);
        var claim = Find(user, _claim) ?? (mapped is null ? null : Find(user, mapped));
        if (claim is null)
        {
            LogOnce(user, mapped);
            return new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "The server cannot tell who the caller is",
                Detail = $"The caller is signed in, but no claim '{_claim}'{(mapped is null ? "" : $" (nor '{mapped}')")} holds their user id. "
                    + $"The server's {UserIdClaimSetting} setting must name the claim that holds it (the server log lists the claims the caller has).",
            };
        }

        if (UserIds.Error(claim.Value) is { } invalid)
        {
            return new ProblemDetails
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Invalid user id",
                Detail = $"The signed-in caller's '{claim.Type}' claim is not a usable user id. {invalid}",
            };
        }

        id = claim.Value;
        return null;
    }

    // Every request asks, once in its declaration and again in its handler: plain loops, no list per call.
    private static bool SignedIn(ClaimsPrincipal user)
    {
        foreach (var identity in user.Identities)
        {
            if (identity.IsAuthenticated)
            {
                return true;
            }
        }

        return false;
    }

    private static Claim? Find(ClaimsPrincipal user, string type)
    {
        foreach (var identity in user.Identities)
        {
            if (identity.IsAuthenticated && identity.FindFirst(type) is { } claim)
            {
                return claim;
            }
        }

        return null;
    }

    private void LogOnce(ClaimsPrincipal user, string? mapped)
    {
        // The claims' types only: their values (names, emails, ids) stay out of the log.
        var types = string.Join(", ", user.Identities.Where(i => i.IsAuthenticated).SelectMany(i => i.Claims).Select(c => c.Type).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        if (_loggedShapes.Count < LoggedShapesLimit && _loggedShapes.TryAdd(types, true))
        {
            LogNoUserIdClaim(logger, _claim, mapped ?? "-", types.Length == 0 ? "none" : types, UserIdClaimSetting);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A signed-in caller has no user id claim '{Claim}' (nor its inbound-mapped name '{MappedClaim}'), so no declared endpoint can serve them. "
        + "The caller's claim types: {ClaimTypes}. Set {Setting} to the claim type that holds the user id.")]
    private static partial void LogNoUserIdClaim(ILogger logger, string claim, string mappedClaim, string claimTypes, string setting);
}
