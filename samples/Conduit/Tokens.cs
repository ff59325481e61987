using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Conduit;

/// <summary>
/// Conduit is its own identity provider: sign-up and sign-in answer a JWT signed with the key JwtBearer checks
/// (<c>Authentication:Schemes:Bearer</c>: issuer, audience, signing key), whose <c>sub</c> is the user id.
/// </summary>
public sealed class Tokens
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);
    private readonly string? _issuer;
    private readonly string? _audience;
    private readonly SigningCredentials _credentials;

    public Tokens(IConfiguration configuration)
    {
        var bearer = configuration.GetSection("Authentication:Schemes:Bearer");
        _issuer = bearer["ValidIssuer"];
        _audience = bearer["ValidAudience"];
        var key = bearer.GetSection("SigningKeys").GetChildren().FirstOrDefault(k => k["Issuer"] == _issuer)?["Value"]
            ?? throw new InvalidOperationException("Authentication:Schemes:Bearer:SigningKeys has no key for the ValidIssuer: Conduit signs its tokens with it");
        _credentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(key)), SecurityAlgorithms.HmacSha256);
    }

    public string Issue(string userId) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = _issuer,
        Audience = _audience,
        Claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Sub] = userId },
        Expires = DateTime.UtcNow.Add(Lifetime),
        SigningCredentials = _credentials,
    });

    /// <summary>RealWorld's scheme is <c>Authorization: Token &lt;jwt&gt;</c>; JwtBearer's own <c>Bearer</c> works as well.</summary>
    public static void AcceptTokenScheme(JwtBearerOptions options) => options.Events = new JwtBearerEvents
    {
        OnMessageReceived = context =>
        {
            var header = context.Request.Headers.Authorization.ToString();
            if (header.StartsWith("Token ", StringComparison.OrdinalIgnoreCase))
            {
                context.Token = header["Token ".Length..].Trim();
            }

            return Task.CompletedTask;
        },
    };
}
