using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansRaw.ReadYourWrites;

namespace Conduit;

/// <summary>Comments on an article: RealWorld's <c>/api/articles/{slug}/comments</c>.</summary>
public static class CommentsApi
{
    // A comment as the caller sees it: whether they follow its author is their own data.
    private const string CommentColumns = """
        SELECT c.id AS Id, c.created_at AS CreatedAt, c.updated_at AS UpdatedAt, c.body AS Body,
            u.username AS AuthorUsername, u.bio AS AuthorBio, u.image AS AuthorImage,
            EXISTS (SELECT 1 FROM follows w WHERE w.follower_id = @me AND w.followed_id = u.id) AS AuthorFollowing
        """;

    public static IEndpointRouteBuilder MapCommentsApi(this IEndpointRouteBuilder api)
    {
        var comments = api.MapGroup("/articles/{slug}/comments");
        comments.MapGet("/", List).ReadsSharedData();                // everyone's comments, the caller's latest one included
        comments.MapPost("/", Add).RequireAuthorization().WritesCallerData();
        comments.MapDelete("/{id:long}", Delete).RequireAuthorization().WritesCallerData();
        return api;
    }

    private static async Task<Results<Ok<CommentsEnvelope>, NotFound>> List(string slug, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct)
    {
        // From the article: no row when there is no such article, one row without a comment when it has none.
        var rows = await db.QueryAsync<CommentRow>(CommentColumns + "\n" + """
            FROM articles a LEFT JOIN comments c ON c.article_id = a.id LEFT JOIN users u ON u.id = c.author_id
            WHERE a.slug = @slug ORDER BY c.id
            """, new { slug, me = UserIds.Of(principal) }, ct);
        return rows.Count == 0
            ? TypedResults.NotFound()
            : TypedResults.Ok(new CommentsEnvelope([.. rows.Where(r => r.Id is not null).Select(r => r.ToComment())]));
    }

    private static async Task<Results<Ok<CommentEnvelope>, NotFound, UnprocessableEntity<ErrorsBody>>> Add(
        string slug, CommentRequest? request, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request?.Comment?.Body))
        {
            return Problems.Invalid("body can't be blank");
        }

        var me = UserIds.Caller(principal);
        var row = await db.WriteAsync(connection => connection.QuerySingleOrDefaultAsync<CommentRow>(new CommandDefinition(
            "WITH c AS (INSERT INTO comments (article_id, author_id, body) SELECT a.id, @me, @body FROM articles a WHERE a.slug = @slug RETURNING *) "
            + CommentColumns + " FROM c JOIN users u ON u.id = c.author_id",
            new { slug, me, body = request.Comment.Body }, cancellationToken: ct)), ct);
        return row is null ? TypedResults.NotFound() : TypedResults.Ok(new CommentEnvelope(row.ToComment()));
    }

    private static async Task<Results<Ok, NotFound, ForbidHttpResult>> Delete(
        string slug, long id, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct)
    {
        var me = UserIds.Caller(principal);
        return await db.WriteAsync<Results<Ok, NotFound, ForbidHttpResult>>(async connection =>
        {
            var author = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                "SELECT c.author_id FROM comments c JOIN articles a ON a.id = c.article_id WHERE c.id = @id AND a.slug = @slug",
                new { id, slug }, cancellationToken: ct));
            if (author is null)
            {
                return TypedResults.NotFound();
            }

            if (author != me)
            {
                return TypedResults.Forbid();
            }

            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM comments WHERE id = @id", new { id }, cancellationToken: ct));
            return TypedResults.Ok();
        }, ct);
    }
}

public sealed record CommentRequest(NewComment? Comment);

public sealed record NewComment(string? Body);

public sealed record CommentEnvelope(Comment Comment);

public sealed record CommentsEnvelope(Comment[] Comments);

public sealed record Comment(long Id, DateTime CreatedAt, DateTime UpdatedAt, string Body, Profile Author);

/// <summary>A row of <see cref="CommentsApi"/>'s comment query.</summary>
public sealed class CommentRow
{
    public long? Id { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string Body { get; set; } = "";
    public string AuthorUsername { get; set; } = "";
    public string? AuthorBio { get; set; }
    public string? AuthorImage { get; set; }
    public bool AuthorFollowing { get; set; }

    public Comment ToComment() => new(Id ?? 0, CreatedAt, UpdatedAt, Body,
        new Profile { Username = AuthorUsername, Bio = AuthorBio, Image = AuthorImage, Following = AuthorFollowing });
}
