using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.WebApi.Auth;

/// <summary>JWT settings, bound from the <c>Auth</c> section.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>The HS256 key (at least 32 bytes). Only Development settings carry a default.</summary>
    [Required, MinLength(32)]
    public string SigningKey { get; set; } = "";

    /// <summary>Serve <c>POST /api/auth/dev-token</c> (development and tests only).</summary>
    public bool EnableDevTokens { get; set; }

    public string Issuer { get; set; } = "orleansraw";

    public string Audience { get; set; } = "orleansraw";

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);
}
