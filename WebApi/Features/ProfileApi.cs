using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansRaw.WebApi.Auth;
using OrleansRaw.ReadYourWrites;

namespace OrleansRaw.WebApi.Features;

/// <summary>Profiles: the caller updates theirs; anyone reads anyone's.</summary>
public static class ProfileApi
{
    private const string Columns = "id AS Id, name AS Name, bio AS Bio, updated_at AS UpdatedAt";

    public static IEndpointRouteBuilder MapProfileApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/profile").WithTags("Profile");
        api.MapPut("/", UpdateProfile).WithName("UpdateMyProfile").WithSummary("Create or replace the signed-in user's profile")
            .RequireAuthorization(AuthSetup.SignedInUser).WritesCallerData().RequireRateLimiting(Hosting.RateLimitOptions.WritesPolicy);
        api.MapGet("/{userId:long}", GetProfile).WithName("GetProfile").WithSummary("Get a user's profile").ReadsUserData(PostsApi.OwnerFromRoute);
        return routes;
    }

    public sealed record UpdateProfileRequest(string? Name, string? Bio);

    public sealed record Profile(long Id, string Name, string Bio, DateTime UpdatedAt);

    private static async Task<Results<Ok<Profile>, ValidationProblem>> UpdateProfile(
        UpdateProfileRequest request, HttpContext http, RoutedDatabase db, CancellationToken cancellationToken)
    {
        if ((Validation.Text(request.Name, "name", 1, 100) ?? Validation.Text(request.Bio, "bio", 0, 2000)) is { } problem)
        {
            return problem;
        }

        var userId = CurrentUser.RequiredId(http.User);
        var profile = (await db.WriteAsync<Profile>(
            $"""
            INSERT INTO users (id, name, bio, updated_at) VALUES (@userId, @name, @bio, now())
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, bio = excluded.bio, updated_at = excluded.updated_at
            RETURNING {Columns}
            """,
            new { userId, name = request.Name, bio = request.Bio ?? "" }, cancellationToken)).Single();
        return TypedResults.Ok(profile);
    }

    private static async Task<Results<Ok<Profile>, NotFound>> GetProfile(long userId, RoutedDatabase db, CancellationToken cancellationToken)
    {
        var profile = await db.QuerySingleOrDefaultAsync<Profile>($"SELECT {Columns} FROM users WHERE id = @userId", new { userId }, cancellationToken);
        return profile is null ? TypedResults.NotFound() : TypedResults.Ok(profile);
    }
}
