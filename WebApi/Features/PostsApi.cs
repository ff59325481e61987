using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansRaw.WebApi.Auth;
using OrleansRaw.ReadYourWrites;

namespace OrleansRaw.WebApi.Features;

/// <summary>Posts: create, the caller's posts, a user's posts, one post, and the global feed.</summary>
public static class PostsApi
{
    public const int MaxContentLength = 5000;
    private const int PageSize = 100;
    private const string Columns = "id AS Id, user_id AS UserId, content AS Content, created_at AS CreatedAt";

    public static IEndpointRouteBuilder MapPostsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api").WithTags("Posts");
        api.MapPost("/posts", CreatePost).WithName("CreatePost").WithSummary("Create a post as the signed-in user")
            .RequireAuthorization(AuthSetup.SignedInUser).WritesCallerData().RequireRateLimiting(Hosting.RateLimitOptions.WritesPolicy);
        api.MapGet("/posts", GetMyPosts).WithName("ListMyPosts").WithSummary("List the signed-in user's posts, their latest writes included")
            .RequireAuthorization(AuthSetup.SignedInUser).ReadsCallerData();
        api.MapGet("/users/{userId:long}/posts", GetUserPosts).WithName("ListUserPosts").WithSummary("List a user's posts")
            .ReadsUserData(OwnerFromRoute);
        // Whose post it is is known only after reading it: route as the caller's own read, which is safe either way.
        api.MapGet("/posts/{id:long}", GetPost).WithName("GetPost").WithSummary("Get one post").ReadsCallerData();
        api.MapGet("/feed", GetFeed).WithName("GetFeed").WithSummary("List everyone's latest posts").ReadsSharedData();
        return routes;
    }

    public sealed record CreatePostRequest(string? Content);

    public sealed record Post(long Id, long UserId, string Content, DateTime CreatedAt);

    // The library's user id is the sub claim's text, which this app's tokens spell as an integer's invariant text: so
    // "0042" in the route names user 42 too, and a read of one's own posts by that route stays read-your-writes.
    internal static string? OwnerFromRoute(HttpContext context) =>
        long.TryParse(context.Request.RouteValues["userId"]?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? CurrentUser.Text(id) : null;

    private static async Task<Results<Created<Post>, ValidationProblem>> CreatePost(
        CreatePostRequest request, HttpContext http, RoutedDatabase db, CancellationToken cancellationToken)
    {
        if (Validation.Text(request.Content, "content", 1, MaxContentLength) is { } problem)
        {
            return problem;
        }

        var userId = CurrentUser.RequiredId(http.User);
        // The post and its "post created" job commit together; the worker reads as of the job, so nothing is handed over.
        var post = (await db.WriteAsync<Post>(
            $"""
            WITH post AS (INSERT INTO posts (user_id, content) VALUES (@userId, @content) RETURNING *),
                 job AS (INSERT INTO jobs (kind, user_id, subject_id) SELECT @kind, user_id, id FROM post)
            SELECT {Columns} FROM post
            """,
            new { userId, content = request.Content, kind = Jobs.PostStatsWorker.PostCreated }, cancellationToken)).Single();
        return TypedResults.Created($"/api/posts/{post.Id}", post);
    }

    private static async Task<Ok<List<Post>>> GetMyPosts(HttpContext http, RoutedDatabase db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await PostsOf(db, CurrentUser.RequiredId(http.User), cancellationToken));

    private static async Task<Results<Ok<List<Post>>, NotFound>> GetUserPosts(long userId, RoutedDatabase db, CancellationToken cancellationToken) =>
        userId <= 0 ? TypedResults.NotFound() : TypedResults.Ok(await PostsOf(db, userId, cancellationToken));

    private static async Task<Results<Ok<Post>, NotFound>> GetPost(long id, RoutedDatabase db, CancellationToken cancellationToken)
    {
        var post = await db.QuerySingleOrDefaultAsync<Post>($"SELECT {Columns} FROM posts WHERE id = @id", new { id }, cancellationToken);
        return post is null ? TypedResults.NotFound() : TypedResults.Ok(post);
    }

    private static async Task<Ok<List<Post>>> GetFeed(RoutedDatabase db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await db.QueryAsync<Post>(
            $"SELECT {Columns} FROM posts ORDER BY created_at DESC, id DESC LIMIT {PageSize}", null, cancellationToken));

    private static Task<List<Post>> PostsOf(RoutedDatabase db, long userId, CancellationToken cancellationToken) =>
        db.QueryAsync<Post>(
            $"SELECT {Columns} FROM posts WHERE user_id = @userId ORDER BY created_at DESC, id DESC LIMIT {PageSize}",
            new { userId }, cancellationToken);
}
