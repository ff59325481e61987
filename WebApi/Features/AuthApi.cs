using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansRaw.WebApi.Auth;

namespace OrleansRaw.WebApi.Features;

/// <summary>Development sign-in: a token for any user id, served only when <c>Auth:EnableDevTokens</c> is true.</summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        if (routes.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.EnableDevTokens)
        {
            routes.MapGroup("/api/auth").WithTags("Auth").MapPost("/dev-token", IssueDevToken)
                .WithName("IssueDevToken").WithSummary("Issue a development bearer token for any user id")
                .AllowAnonymous(); // signing in takes no token: the OpenAPI document lists it with no security requirement
        }

        return routes;
    }

    public sealed record DevTokenRequest(long UserId);

    public sealed record DevTokenResponse(string Token);

    private static Results<Ok<DevTokenResponse>, ValidationProblem> IssueDevToken(
        DevTokenRequest request, IOptions<AuthOptions> options, TimeProvider clock)
    {
        if (Validation.Range(request.UserId, "userId", 1, long.MaxValue) is { } problem)
        {
            return problem;
        }

        var auth = options.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = auth.Issuer,
            Audience = auth.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + auth.TokenLifetime,
            Claims = new Dictionary<string, object> { [CurrentUser.SubjectClaim] = request.UserId.ToString(CultureInfo.InvariantCulture) },
            SigningCredentials = new SigningCredentials(AuthSetup.SigningKey(auth), SecurityAlgorithms.HmacSha256),
        });
        return TypedResults.Ok(new DevTokenResponse(token));
    }
}
