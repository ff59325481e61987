namespace OrleansRaw.WebApi.Auth;

/// <summary>
/// Signing keys published in this repository (development settings, compose, tests). Anyone can mint tokens with
/// them, so outside Development the API refuses to start with one, as it refuses development tokens.
/// </summary>
public static class DevelopmentSecrets
{
    public static readonly IReadOnlySet<string> SigningKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "LOCAL-DEVELOPMENT-ONLY-signing-key-never-use-in-production",
        "local-development-only-signing-key-change-me-0123456789",
        "tests-only-signing-key-0123456789-abcdefghij",
    };

    /// <summary>Why <paramref name="options"/> are unsafe outside Development, or null when they are not.</summary>
    public static string? Unsafe(AuthOptions options) =>
        options.EnableDevTokens ? "Auth:EnableDevTokens is true: anyone could sign in as any user. It is for Development only."
        : SigningKeys.Contains(options.SigningKey) ? "Auth:SigningKey is a development key published in the repository: anyone could mint tokens. Set a secret key."
        : null;
}
