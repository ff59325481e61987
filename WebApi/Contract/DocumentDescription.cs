using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OrleansRaw.WebApi.Contract;

/// <summary>The document's title, description, license, servers and tag descriptions; each operation's responses in status order.</summary>
internal sealed class DocumentDescription : IOpenApiDocumentTransformer
{
    // One line per tag the endpoints use (WithTags); a tag missing here is reported by the OpenAPI tests.
    private static readonly Dictionary<string, string> Tags = new()
    {
        ["Auth"] = "Development sign-in: a bearer token for any user id (Development only).",
        ["Posts"] = "Create posts, and read the caller's posts (read-your-writes), anyone's posts and the global feed.",
        ["Profile"] = "The caller's profile (written on the primary, read back with read-your-writes) and anyone's profile.",
        ["Cart"] = "The caller's shopping cart: every read sees the caller's own latest change.",
        ["Replicas"] = "The replica monitor's latest snapshot: each replica's health, replay position and lag.",
        ["Development"] = "Development only: a replica's artificial replay delay, to see read-your-writes under lag.",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info ??= new OpenApiInfo();
        document.Info.Title = "OrleansRaw";
        document.Info.Description =
            "Read-your-writes on a PostgreSQL primary with streaming replicas. Reads of posts, profiles and carts answer "
            + "with `X-Read-Source` (where the read ran) and `X-Consistency-Reason` (why); writes, and a signed-in user's reads, with "
            + "`X-Consistency-Token`. Send the latest token back as the `X-Consistency-Token` request header on later reads "
            + "to keep reading your own writes from any API server or device. Send an `Idempotency-Key` with every write you "
            + "may retry. Errors are `application/problem+json`; 429 and 503 carry `Retry-After`.";
        document.Info.License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" };

        // Relative to wherever the document is served, so the same document works behind any host or proxy (the
        // framework fills in the absolute address of the request that asked for it; only its path base is kept).
        document.Servers = [new OpenApiServer { Url = PathBaseOf(document.Servers) }];

        foreach (var tag in document.Tags ?? Enumerable.Empty<OpenApiTag>())
        {
            if (tag.Name is { } name && Tags.TryGetValue(name, out var description))
            {
                tag.Description = description;
            }
        }

        // Transformers add responses as they go; a reader (and a diff of the document) wants them by status.
        foreach (var path in document.Paths?.Values ?? Enumerable.Empty<IOpenApiPathItem>())
        {
            foreach (var operation in path.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            {
                if (operation.Responses is { } responses)
                {
                    var ordered = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
                    responses.Clear();
                    foreach (var response in ordered)
                    {
                        responses[response.Key] = response.Value;
                    }
                }
            }
        }

        return Task.CompletedTask;
    }

    private static string PathBaseOf(IEnumerable<OpenApiServer>? servers)
    {
        var path = servers?.Select(s => Uri.TryCreate(s.Url, UriKind.Absolute, out var url) ? url.AbsolutePath : null)
            .FirstOrDefault(p => p is not null) ?? "/";
        return path.Length > 1 ? path.TrimEnd('/') : "/";
    }
}
