using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansRaw.ReadYourWrites;

namespace Conduit;

/// <summary>Profiles and follows: RealWorld's <c>/api/profiles</c>.</summary>
public static class ProfilesApi
{
    // Another user's profile, with whether the caller follows them: the caller's own data is in it.
    private const string ProfileSql = """
        SELECT u.username AS Username, u.bio AS Bio, u.image AS Image,
            EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = @me AND f.followed_id = u.id) AS Following
        FROM users u WHERE u.username = @username
        """;

    public static IEndpointRouteBuilder MapProfilesApi(this IEndpointRouteBuilder api)
    {
        var profiles = api.MapGroup("/profiles/{username}");
        profiles.MapGet("/", GetProfile).ReadsSharedData();          // their profile, and the caller's follow: never older than the caller's last write
        profiles.MapPost("/follow", Follow).RequireAuthorization().WritesCallerData();
        profiles.MapDelete("/follow", Unfollow).RequireAuthorization().WritesCallerData();
        return api;
    }

    private static async Task<Results<Ok<ProfileEnvelope>, NotFound>> GetProfile(
        string username, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct) =>
        await db.QuerySingleOrDefaultAsync<Profile>(ProfileSql, new { username, me = UserIds.Of(principal) }, ct) is { } profile
            ? TypedResults.Ok(new ProfileEnvelope(profile))
            : TypedResults.NotFound();

    private static Task<Results<Ok<ProfileEnvelope>, NotFound>> Follow(string username, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct) =>
        ChangeAsync("""
            INSERT INTO follows (follower_id, followed_id) SELECT @me, u.id FROM users u WHERE u.username = @username AND u.id <> @me
            ON CONFLICT DO NOTHING
            """, username, principal, db, ct);

    private static Task<Results<Ok<ProfileEnvelope>, NotFound>> Unfollow(string username, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct) =>
        ChangeAsync("DELETE FROM follows f USING users u WHERE u.username = @username AND f.followed_id = u.id AND f.follower_id = @me",
            username, principal, db, ct);

    // The change, then the profile as it stands after it.
    private static async Task<Results<Ok<ProfileEnvelope>, NotFound>> ChangeAsync(
        string sql, string username, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct) =>
        await db.ChangeThenReadAsync<Profile>(sql, ProfileSql, new { username, me = UserIds.Caller(principal) }, ct) is { } profile
            ? TypedResults.Ok(new ProfileEnvelope(profile))
            : TypedResults.NotFound();
}

public sealed record ProfileEnvelope(Profile Profile);

public sealed record Profile
{
    public string Username { get; init; } = "";
    public string? Bio { get; init; }
    public string? Image { get; init; }
    public bool Following { get; init; }
}
