using System.Globalization;
using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>Reads the caller's user id from the claim <see cref="ConsistencyOptions.UserIdClaim"/> names: a positive 64-bit integer.</summary>
public sealed class CallerIds(IOptions<ConsistencyOptions> options)
{
    private readonly string _claim = options.Value.UserIdClaim;

    /// <summary>The caller's user id, or null when anonymous or when the claim is not a positive integer.</summary>
    public long? Of(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true
        && long.TryParse(user.FindFirstValue(_claim), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
        && id > 0 ? id : null;
}
