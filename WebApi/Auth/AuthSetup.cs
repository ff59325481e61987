using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace OrleansRaw.WebApi.Auth;

/// <summary>JWT bearer authentication (HS256) and the one authorization policy the endpoints use.</summary>
public static class AuthSetup
{
    /// <summary>A caller with a valid token whose <c>sub</c> is a positive user id.</summary>
    public const string SignedInUser = "signed-in-user";

    public static IServiceCollection AddOrleansRawAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateDataAnnotations()
            .Validate<IHostEnvironment>((options, environment) => environment.IsDevelopment() || DevelopmentSecrets.Unsafe(options) is null,
                "Refusing to start outside Development with development credentials: Auth:EnableDevTokens must be false and "
                + "Auth:SigningKey must be a secret of this deployment, not a key published in the repository.")
            .ValidateOnStart();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<Microsoft.Extensions.Options.IOptions<AuthOptions>>((jwt, auth) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = ValidationParameters(auth.Value);
                jwt.Events = new JwtBearerEvents
                {
                    // A well-signed token whose sub is not a user id is still not a valid token here: 401, not 403.
                    OnTokenValidated = context =>
                    {
                        if (context.Principal is null || CurrentUser.Id(context.Principal) is null)
                        {
                            context.Fail("The token's sub is not a positive user id.");
                        }

                        return Task.CompletedTask;
                    },
                    OnChallenge = async context =>
                    {
                        context.HandleResponse();
                        await Problems.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized,
                            "Authentication required", "Send a valid bearer token: Authorization: Bearer <JWT>.");
                    },
                };
            });
        services.AddAuthorizationBuilder().AddPolicy(SignedInUser, policy =>
            policy.RequireAuthenticatedUser().RequireAssertion(context => CurrentUser.Id(context.User) is not null));
        return services;
    }

    public static SymmetricSecurityKey SigningKey(AuthOptions options) => new(Encoding.UTF8.GetBytes(options.SigningKey));

    private static TokenValidationParameters ValidationParameters(AuthOptions options) => new()
    {
        ValidIssuer = options.Issuer,
        ValidAudience = options.Audience,
        IssuerSigningKey = SigningKey(options),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = TimeSpan.FromSeconds(5),
    };
}
