using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using OrleansRaw.ReadYourWrites;

namespace Conduit;

/// <summary>Articles, the feed and favorites: RealWorld's <c>/api/articles</c>.</summary>
public static class ArticlesApi
{
    // An article as the caller sees it: whether they favorited it and follow its author is their own data.
    private const string ArticleSql = """
        SELECT a.id AS Id, a.author_id AS AuthorId, a.slug AS Slug, a.title AS Title, a.description AS Description, a.body AS Body,
            ARRAY(SELECT t.tag FROM article_tags t WHERE t.article_id = a.id ORDER BY t.tag) AS TagList,
            a.created_at AS CreatedAt, a.updated_at AS UpdatedAt,
            EXISTS (SELECT 1 FROM favorites f WHERE f.article_id = a.id AND f.user_id = @me) AS Favorited,
            (SELECT count(*) FROM favorites f WHERE f.article_id = a.id)::int AS FavoritesCount,
            u.username AS AuthorUsername, u.bio AS AuthorBio, u.image AS AuthorImage,
            EXISTS (SELECT 1 FROM follows w WHERE w.follower_id = @me AND w.followed_id = u.id) AS AuthorFollowing
        FROM articles a JOIN users u ON u.id = a.author_id
        """;

    private const string BySlug = " WHERE a.slug = @slug";

    private const string ListFilter = """
         WHERE (@tag::text IS NULL OR EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.tag = @tag))
            AND (@author::text IS NULL OR u.username = @author)
            AND (@favorited::text IS NULL OR EXISTS (
                SELECT 1 FROM favorites f JOIN users fu ON fu.id = f.user_id WHERE f.article_id = a.id AND fu.username = @favorited))
        """;

    private const string FeedFilter = " WHERE a.author_id IN (SELECT followed_id FROM follows WHERE follower_id = @me)";

    private const string Page = " ORDER BY a.created_at DESC, a.id DESC LIMIT @limit OFFSET @offset";

    private const string Count = "SELECT count(*)::int FROM articles a JOIN users u ON u.id = a.author_id";

    public static IEndpointRouteBuilder MapArticlesApi(this IEndpointRouteBuilder api)
    {
        var articles = api.MapGroup("/articles");
        articles.MapGet("/", List).ReadsSharedData();                // everyone's articles, with the caller's favorites and follows in them
        articles.MapGet("/feed", Feed).RequireAuthorization().ReadsCallerData(); // who the caller follows is theirs
        articles.MapGet("/{slug}", Get).ReadsSharedData();
        articles.MapPost("/", Create).RequireAuthorization().WritesCallerData();
        articles.MapPut("/{slug}", Update).RequireAuthorization().WritesCallerData();
        articles.MapDelete("/{slug}", Delete).RequireAuthorization().WritesCallerData();
        articles.MapPost("/{slug}/favorite", Favorite).RequireAuthorization().WritesCallerData();
        articles.MapDelete("/{slug}/favorite", Unfavorite).RequireAuthorization().WritesCallerData();
        return api;
    }

    private static async Task<Results<Ok<ArticlesEnvelope>, UnprocessableEntity<ErrorsBody>>> List(
        string? tag, string? author, string? favorited, int? limit, int? offset, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct)
    {
        if (limit < 0 || offset < 0)
        {
            return Problems.Invalid("limit and offset can't be negative");
        }

        var parameters = new { tag, author, favorited, me = UserIds.Of(principal), limit = limit ?? 20, offset = offset ?? 0 };
        var rows = await db.QueryAsync<ArticleRow>(ArticleSql + ListFilter + Page, parameters, ct);
        var count = await db.QuerySingleOrDefaultAsync<int>(Count + ListFilter, parameters, ct);
        return TypedResults.Ok(new ArticlesEnvelope([.. rows.Select(r => r.ToArticle())], count));
    }

    private static async Task<Results<Ok<ArticlesEnvelope>, UnprocessableEntity<ErrorsBody>>> Feed(
        int? limit, int? offset, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct)
    {
        if (limit < 0 || offset < 0)
        {
            return Problems.Invalid("limit and offset can't be negative");
        }

        var parameters = new { me = UserIds.Caller(principal), limit = limit ?? 20, offset = offset ?? 0 };
        var rows = await db.QueryAsync<ArticleRow>(ArticleSql + FeedFilter + Page, parameters, ct);
        var count = await db.QuerySingleOrDefaultAsync<int>(Count + FeedFilter, parameters, ct);
        return TypedResults.Ok(new ArticlesEnvelope([.. rows.Select(r => r.ToArticle())], count));
    }

    private static async Task<Results<Ok<ArticleEnvelope>, NotFound>> Get(string slug, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct) =>
        await db.QuerySingleOrDefaultAsync<ArticleRow>(ArticleSql + BySlug, new { slug, me = UserIds.Of(principal) }, ct) is { } row
            ? TypedResults.Ok(new ArticleEnvelope(row.ToArticle()))
            : TypedResults.NotFound();

    private static async Task<Results<Created<ArticleEnvelope>, UnprocessableEntity<ErrorsBody>>> Create(
        ArticleRequest<NewArticle>? request, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct)
    {
        var article = request?.Article;
        string[] missing = [.. new[] { ("title", article?.Title), ("description", article?.Description), ("body", article?.Body) }
            .Where(f => string.IsNullOrWhiteSpace(f.Item2)).Select(f => $"{f.Item1} can't be blank")];
        if (missing.Length > 0)
        {
            return Problems.Invalid(missing);
        }

        var me = UserIds.Caller(principal);
        var tags = (article!.TagList ?? []).Select(t => t.Trim()).Where(t => t.Length > 0).Distinct().ToArray();
        var created = await db.WriteAsync(async connection =>
        {
            for (var attempt = 0; ; attempt++)
            {
                // One statement, so the article and its tags commit together; a taken slug inserts nothing, and the next try
                // adds a random suffix.
                var id = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition("""
                    WITH article AS (
                        INSERT INTO articles (slug, title, description, body, author_id) VALUES (@slug, @Title, @Description, @Body, @me)
                        ON CONFLICT (slug) DO NOTHING RETURNING id),
                    tags AS (INSERT INTO article_tags (article_id, tag) SELECT article.id, unnest(@tags) FROM article)
                    SELECT id FROM article
                    """, new { slug = Slug(article.Title!, attempt), article.Title, article.Description, article.Body, me, tags }, cancellationToken: ct));
                if (id is { } articleId)
                {
                    return await ReadAsync(connection, articleId, me, ct);
                }
            }
        }, ct);
        return TypedResults.Created($"/api/articles/{created.Slug}", new ArticleEnvelope(created));
    }

    private static async Task<Results<Ok<ArticleEnvelope>, NotFound, ForbidHttpResult>> Update(
        string slug, ArticleRequest<ArticleChanges>? request, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct)
    {
        var changes = request?.Article ?? new ArticleChanges(null, null, null);
        var me = UserIds.Caller(principal);
        return await db.WriteAsync<Results<Ok<ArticleEnvelope>, NotFound, ForbidHttpResult>>(async connection =>
        {
            if (await OwnedAsync(connection, slug, me, ct) is not { } owned)
            {
                return TypedResults.NotFound();
            }

            if (!owned.Mine)
            {
                return TypedResults.Forbid();
            }

            var title = string.IsNullOrWhiteSpace(changes.Title) ? null : changes.Title;
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition("""
                        UPDATE articles SET slug = COALESCE(@newSlug, slug), title = COALESCE(@title, title),
                            description = COALESCE(@Description, description), body = COALESCE(@Body, body), updated_at = now()
                        WHERE id = @id
                        """, new { newSlug = title is null ? null : Slug(title, attempt), title, changes.Description, changes.Body, id = owned.Id },
                        cancellationToken: ct));
                    return TypedResults.Ok(new ArticleEnvelope(await ReadAsync(connection, owned.Id, me, ct)));
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && attempt < 5)
                {
                    // Another article has the new title's slug: try again with a suffix.
                }
            }
        }, ct);
    }

    private static async Task<Results<Ok, NotFound, ForbidHttpResult>> Delete(string slug, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct)
    {
        var me = UserIds.Caller(principal);
        return await db.WriteAsync<Results<Ok, NotFound, ForbidHttpResult>>(async connection =>
        {
            if (await OwnedAsync(connection, slug, me, ct) is not { } owned)
            {
                return TypedResults.NotFound();
            }

            if (!owned.Mine)
            {
                return TypedResults.Forbid();
            }

            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM articles WHERE id = @Id", owned, cancellationToken: ct));
            return TypedResults.Ok();
        }, ct);
    }

    private static Task<Results<Ok<ArticleEnvelope>, NotFound>> Favorite(string slug, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct) =>
        ChangeAsync("INSERT INTO favorites (user_id, article_id) SELECT @me, a.id FROM articles a WHERE a.slug = @slug ON CONFLICT DO NOTHING",
            slug, principal, db, ct);

    private static Task<Results<Ok<ArticleEnvelope>, NotFound>> Unfavorite(string slug, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct) =>
        ChangeAsync("DELETE FROM favorites f USING articles a WHERE a.slug = @slug AND f.article_id = a.id AND f.user_id = @me",
            slug, principal, db, ct);

    // The change, then the article as it stands after it.
    private static async Task<Results<Ok<ArticleEnvelope>, NotFound>> ChangeAsync(
        string sql, string slug, ClaimsPrincipal principal, RoutedDatabase db, CancellationToken ct) =>
        await db.ChangeThenReadAsync<ArticleRow>(sql, ArticleSql + BySlug, new { slug, me = UserIds.Caller(principal) }, ct) is { } row
            ? TypedResults.Ok(new ArticleEnvelope(row.ToArticle()))
            : TypedResults.NotFound();

    /// <summary>The article with this slug and whether <paramref name="me"/> wrote it, on the write's connection (the primary).</summary>
    internal static Task<Owned?> OwnedAsync(NpgsqlConnection connection, string slug, string me, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<Owned?>(new CommandDefinition(
            "SELECT id AS Id, author_id = @me AS Mine FROM articles WHERE slug = @slug", new { slug, me }, cancellationToken: ct));

    private static async Task<Article> ReadAsync(NpgsqlConnection connection, long id, string me, CancellationToken ct) =>
        (await connection.QuerySingleAsync<ArticleRow>(new CommandDefinition(ArticleSql + " WHERE a.id = @id", new { id, me }, cancellationToken: ct))).ToArticle();

    // "How to train your dragon" -> "how-to-train-your-dragon"; from the second try on, with a random suffix.
    private static string Slug(string title, int attempt)
    {
        var slug = new StringBuilder();
        foreach (var c in title.Trim().ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }

        var text = slug.ToString().Trim('-');
        text = text.Length == 0 ? "article" : text;
        return attempt == 0 ? text : $"{text}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
    }
}

public sealed record Owned(long Id, bool Mine);

public sealed record ArticleRequest<T>(T? Article);

public sealed record NewArticle(string? Title, string? Description, string? Body, string[]? TagList);

public sealed record ArticleChanges(string? Title, string? Description, string? Body);

public sealed record ArticleEnvelope(Article Article);

public sealed record ArticlesEnvelope(Article[] Articles, int ArticlesCount);

public sealed record Article(
    string Slug, string Title, string Description, string Body, string[] TagList, DateTime CreatedAt, DateTime UpdatedAt,
    bool Favorited, int FavoritesCount, Profile Author);

/// <summary>A row of <see cref="ArticlesApi"/>'s article query.</summary>
public sealed class ArticleRow
{
    public long Id { get; set; }
    public string AuthorId { get; set; } = "";
    public string Slug { get; set; } = "";
    public string Title { get; set; } = "";
    public string Description { get; set; } = "";
    public string Body { get; set; } = "";
    public string[] TagList { get; set; } = [];
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public bool Favorited { get; set; }
    public int FavoritesCount { get; set; }
    public string AuthorUsername { get; set; } = "";
    public string? AuthorBio { get; set; }
    public string? AuthorImage { get; set; }
    public bool AuthorFollowing { get; set; }

    public Article ToArticle() => new(Slug, Title, Description, Body, TagList, CreatedAt, UpdatedAt, Favorited, FavoritesCount,
        new Profile { Username = AuthorUsername, Bio = AuthorBio, Image = AuthorImage, Following = AuthorFollowing });
}
