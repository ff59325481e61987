using OrleansRaw.ReadYourWrites;

namespace Conduit;

/// <summary>RealWorld's <c>/api/tags</c>: every tag in use, the most used first.</summary>
public static class TagsApi
{
    public static IEndpointRouteBuilder MapTagsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/tags", Tags).ReadsSharedData();                 // everyone's tags, the caller's new ones included
        return api;
    }

    private static async Task<TagsEnvelope> Tags(RoutedDatabase db, CancellationToken ct) =>
        new([.. await db.QueryAsync<string>("SELECT tag FROM article_tags GROUP BY tag ORDER BY count(*) DESC, tag", null, ct)]);
}

public sealed record TagsEnvelope(string[] Tags);
