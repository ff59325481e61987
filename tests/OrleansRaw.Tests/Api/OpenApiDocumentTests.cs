using System.Net;
using System.Text.Json;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// The OpenAPI document describes the contract a client sees: who needs a token, which consistency headers each
/// operation takes and answers with, every problem it can answer, and where the API is (relative to the document).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class OpenApiDocumentTests(SystemFixture fixture)
{
    // Operations by operationId: the reads and writes declared to the read-your-writes layer, and who may call them.
    private static readonly string[] Reads = ["ListMyPosts", "ListUserPosts", "GetPost", "GetFeed", "GetProfile", "GetCart"];
    private static readonly string[] Writes = ["CreatePost", "UpdateMyProfile", "AddCartItem", "RemoveCartItem"];
    private static readonly string[] SignedInOnly = ["CreatePost", "ListMyPosts", "UpdateMyProfile", "AddCartItem", "RemoveCartItem", "GetCart"];

    [Fact]
    public async Task EveryOperation_HasAStableOperationId_ASummary_AndADescribedTag()
    {
        using var document = await DocumentAsync(fixture.Default.Api);
        var operations = Operations(document).ToList();
        Assert.Equal(Reads.Concat(Writes).Concat(["IssueDevToken", "GetReplicas", "GetReplicaLags", "SetReplicaLag"]).Order(),
            operations.Select(o => o.Id).Order());

        var described = document.RootElement.GetProperty("tags").EnumerateArray()
            .Where(t => t.TryGetProperty("description", out var d) && d.GetString()!.Length > 0)
            .Select(t => t.GetProperty("name").GetString()).ToHashSet();
        foreach (var operation in operations)
        {
            Assert.False(string.IsNullOrWhiteSpace(operation.Summary), $"{operation.Id} has no summary");
            var tags = operation.Json.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).ToList();
            Assert.NotEmpty(tags);
            Assert.All(tags, tag => Assert.Contains(tag, described));
        }
    }

    [Fact]
    public async Task OperationsForSignedInUsers_RequireTheBearerScheme_AndDocument401_OthersTakeItOptionally()
    {
        using var document = await DocumentAsync(fixture.Default.Api);
        var scheme = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.Equal("JWT", scheme.GetProperty("bearerFormat").GetString());

        foreach (var operation in Operations(document))
        {
            var requirements = operation.Json.GetProperty("security").EnumerateArray()
                .Select(r => string.Join(",", r.EnumerateObject().Select(p => p.Name))).ToList();
            if (SignedInOnly.Contains(operation.Id))
            {
                Assert.Equal(["Bearer"], requirements);
                AssertProblem(document, operation, "401");
            }
            else if (operation.Id == "IssueDevToken")
            {
                Assert.Equal([""], requirements);
            }
            else
            {
                Assert.Equal(["", "Bearer"], requirements);
            }
        }
    }

    [Fact]
    public async Task DeclaredReads_TakeTheConsistencyToken_AndStrongReads_AndAnswerWhereTheyRan()
    {
        using var document = await DocumentAsync(fixture.Default.Api);
        foreach (var operation in Operations(document).Where(o => Reads.Contains(o.Id)))
        {
            var parameters = Parameters(document, operation);
            Assert.Equal("header", parameters["X-Consistency-Token"]);
            Assert.Equal("header", parameters["X-Read-Consistency"]);
            Assert.Equal("query", parameters["consistency"]);

            var ok = Response(document, operation, "200");
            Assert.Subset(ResponseHeaders(ok), new HashSet<string> { "X-Read-Source", "X-Consistency-Reason", "X-Consistency-Token" });
            AssertProblem(document, operation, "400");
            AssertProblem(document, operation, "401");
            Assert.Contains("Retry-After", ResponseHeaders(AssertProblem(document, operation, "429")));
            Assert.Contains("Retry-After", ResponseHeaders(AssertProblem(document, operation, "503")));
        }

        var required = Resolve(document, document.RootElement.GetProperty("components").GetProperty("headers").GetProperty("X-Read-Source"));
        Assert.True(required.GetProperty("required").GetBoolean());
    }

    [Fact]
    public async Task DeclaredWrites_TakeAnIdempotencyKey_AndAnswerWithAToken_OrTheirProblems()
    {
        using var document = await DocumentAsync(fixture.Default.Api);
        foreach (var operation in Operations(document).Where(o => Writes.Contains(o.Id)))
        {
            Assert.Equal("header", Parameters(document, operation)["Idempotency-Key"]);
            Assert.DoesNotContain("X-Consistency-Token", Parameters(document, operation).Keys);

            var success = operation.Json.GetProperty("responses").EnumerateObject().Single(r => r.Name.StartsWith('2'));
            Assert.Subset(ResponseHeaders(Resolve(document, success.Value)), new HashSet<string> { "X-Consistency-Token", "Idempotent-Replayed" });
            Assert.Contains("Retry-After", ResponseHeaders(AssertProblem(document, operation, "409")));
            AssertProblem(document, operation, "422");
            Assert.Contains("Retry-After", ResponseHeaders(AssertProblem(document, operation, "429")));
            Assert.Contains("Retry-After", ResponseHeaders(AssertProblem(document, operation, "503")));
            if (operation.Json.TryGetProperty("requestBody", out _))
            {
                AssertProblem(document, operation, "400");
                AssertProblem(document, operation, "413");
            }
        }
    }

    [Fact]
    public async Task EveryErrorResponse_IsAProblemDetails_AndEveryOperationDocumentsA4xx()
    {
        using var document = await DocumentAsync(fixture.Default.Api);
        foreach (var operation in Operations(document))
        {
            var errors = operation.Json.GetProperty("responses").EnumerateObject().Where(r => r.Name[0] is '4' or '5').ToList();
            Assert.All(errors, error => AssertProblem(document, operation, error.Name));
            // Reading the replicas and the development lag settings can fail only on the server's side.
            if (operation.Id is not ("GetReplicas" or "GetReplicaLags"))
            {
                Assert.Contains(errors, e => e.Name[0] == '4');
            }
        }
    }

    [Fact]
    public async Task Servers_AreRelativeToWhereTheDocumentIsServed()
    {
        using var document = await DocumentAsync(fixture.Default.Api);
        var servers = document.RootElement.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("url").GetString()).ToList();
        Assert.Equal(["/"], servers);
    }

    [Fact]
    public async Task InProduction_TheDocumentListsNoDevelopmentEndpoint()
    {
        var overrides = new Dictionary<string, string?>
        {
            ["environment"] = "Production",
            ["Auth:EnableDevTokens"] = "false",
            // A key of this run only: a key published in the repository is refused outside Development.
            ["Auth:SigningKey"] = "run-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"),
        };
        await using var api = new Deployment.ApiFactory(fixture.Default.Cluster.Client, Deployment.BaseSettings(overrides));
        using var document = await DocumentAsync(api);

        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/posts", paths);
        Assert.DoesNotContain("/api/auth/dev-token", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/api/dev/", StringComparison.Ordinal));
        Assert.DoesNotContain(document.RootElement.GetProperty("tags").EnumerateArray(), t => t.GetProperty("name").GetString() is "Auth" or "Development");
    }

    private sealed record Operation(string Id, string? Summary, JsonElement Json);

    private static async Task<JsonDocument> DocumentAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> api)
    {
        using var http = api.CreateClient();
        using var response = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private static IEnumerable<Operation> Operations(JsonDocument document) =>
        from path in document.RootElement.GetProperty("paths").EnumerateObject()
        from operation in path.Value.EnumerateObject()
        where operation.Name is "get" or "put" or "post" or "delete" or "patch"
        select new Operation(
            operation.Value.TryGetProperty("operationId", out var id) ? id.GetString()! : $"(no operationId: {operation.Name} {path.Name})",
            operation.Value.TryGetProperty("summary", out var summary) ? summary.GetString() : null,
            operation.Value);

    // Each parameter's name and where it goes (in), references resolved.
    private static Dictionary<string, string> Parameters(JsonDocument document, Operation operation) =>
        operation.Json.TryGetProperty("parameters", out var parameters)
            ? parameters.EnumerateArray().Select(p => Resolve(document, p)).ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("in").GetString()!)
            : [];

    private static JsonElement Response(JsonDocument document, Operation operation, string status)
    {
        Assert.True(operation.Json.GetProperty("responses").TryGetProperty(status, out var response), $"{operation.Id} does not document {status}");
        return Resolve(document, response);
    }

    private static HashSet<string> ResponseHeaders(JsonElement response) =>
        response.TryGetProperty("headers", out var headers) ? headers.EnumerateObject().Select(h => h.Name).ToHashSet() : [];

    // The response for status is an application/problem+json whose schema is ProblemDetails (or its validation form).
    private static JsonElement AssertProblem(JsonDocument document, Operation operation, string status)
    {
        var response = Response(document, operation, status);
        Assert.True(response.TryGetProperty("description", out var description) && description.GetString()!.Length > 0);
        var problem = response.TryGetProperty("content", out var content) && content.TryGetProperty("application/problem+json", out var media)
            ? media : default;
        Assert.True(problem.ValueKind == JsonValueKind.Object, $"{operation.Id}'s {status} is not application/problem+json");
        var schema = problem.GetProperty("schema").GetProperty("$ref").GetString();
        Assert.Contains(schema, new[] { "#/components/schemas/ProblemDetails", "#/components/schemas/HttpValidationProblemDetails" });
        return response;
    }

    private static JsonElement Resolve(JsonDocument document, JsonElement element)
    {
        if (!element.TryGetProperty("$ref", out var reference))
        {
            return element;
        }

        var target = document.RootElement;
        foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/'))
        {
            target = target.GetProperty(part.Replace("~1", "/").Replace("~0", "~"));
        }

        return target;
    }
}
