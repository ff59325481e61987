using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OrleansRaw.WebApi.Contract;

/// <summary>
/// The bearer JWT security scheme, and on each operation whether it needs one: required where the endpoint requires
/// authorization (which answers 401 without a valid token), optional where a token only makes the request the
/// signed-in user's (their own reads, strong reads), none where the endpoint allows anonymous callers outright.
/// </summary>
internal sealed class BearerSecurity : IOpenApiOperationTransformer
{
    public const string SchemeName = JwtBearerDefaults.AuthenticationScheme;

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document ?? throw new InvalidOperationException("The operation transformer context carries no document.");
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        // An empty requirement is OpenAPI's "no credentials needed".
        operation.Security = [new OpenApiSecurityRequirement()];
        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            return;
        }

        if (document.Components?.SecuritySchemes?.ContainsKey(SchemeName) != true)
        {
            document.AddComponent(SchemeName, Scheme());
        }

        var bearer = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] };
        if (!metadata.OfType<IAuthorizeData>().Any())
        {
            operation.Security.Add(bearer);
            return;
        }

        operation.Security = [bearer];
        await operation.AddProblemResponseAsync(context, StatusCodes.Status401Unauthorized,
            "Authentication required: send a valid bearer token (Authorization: Bearer <JWT>).", cancellationToken: cancellationToken);
    }

    private static OpenApiSecurityScheme Scheme() => new()
    {
        Type = SecuritySchemeType.Http,
        Scheme = "bearer",
        BearerFormat = "JWT",
        Description = "A JWT signed with the API's key (HS256) whose `sub` is the user's id. In Development, "
            + "POST /api/auth/dev-token issues one for any user id.",
    };
}
