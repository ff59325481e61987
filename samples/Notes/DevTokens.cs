using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Notes;

/// <summary>
/// Development only: <c>POST /dev/token {"user":"alice"}</c> answers a bearer token for that user id, signed as an
/// identity provider would sign it, with the LOCAL-DEVELOPMENT-ONLY key of <c>Authentication:Schemes:Bearer</c>.
/// </summary>
public static class DevTokens
{
    public static IEndpointRouteBuilder MapDevTokens(this IEndpointRouteBuilder app)
    {
        app.MapPost("/dev/token", Issue);
        return app;
    }

    private static IResult Issue(DevUser request, IConfiguration configuration)
    {
        var bearer = configuration.GetSection("Authentication:Schemes:Bearer");
        var issuer = bearer["ValidIssuer"];
        var key = bearer.GetSection("SigningKeys").GetChildren().First(k => k["Issuer"] == issuer)["Value"]!;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = bearer["ValidAudience"],
            Claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Sub] = request.User },
            Expires = DateTime.UtcNow.AddHours(8),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(key)), SecurityAlgorithms.HmacSha256),
        });
        return TypedResults.Text(token);
    }

    public sealed record DevUser(string User);
}
