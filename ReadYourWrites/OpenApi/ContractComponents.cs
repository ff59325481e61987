using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The contract's parameters, response headers and problem schema, defined once in the document's components and
/// referenced from each operation that uses them.
/// </summary>
internal sealed class ContractComponents
{
    public const string TokenParameter = ConsistencyHeaders.Token;
    public const string ReadConsistencyParameter = ConsistencyHeaders.ReadConsistency;
    public const string StrongQueryParameter = "consistency";
    public const string IdempotencyKeyParameter = IdempotencyHeaders.Key;

    private const string ProblemSchema = nameof(ProblemDetails);
    private const string ProblemMediaType = "application/problem+json";
    private const string RetryAfter = "Retry-After";

    private readonly OpenApiDocument _document;
    private readonly OpenApiOperationTransformerContext _context;

    /// <summary>Components for <paramref name="context"/>'s document, each added to it the first time an operation uses it.</summary>
    public ContractComponents(OpenApiOperationTransformerContext context)
    {
        _document = context.Document ?? throw new InvalidOperationException("The operation transformer context carries no document.");
        _context = context;
    }

    public void AddParameters(OpenApiOperation operation, params string[] names)
    {
        operation.Parameters ??= [];
        foreach (var name in names.Where(name => !operation.Parameters.Any(p => p.Name == name)))
        {
            if (_document.Components?.Parameters?.ContainsKey(name) != true)
            {
                _document.AddComponent(name, Parameters()[name]);
            }

            operation.Parameters.Add(new OpenApiParameterReference(name, _document));
        }
    }

    public void AddHeaders(IOpenApiResponse response, params string[] names)
    {
        if (response is not OpenApiResponse concrete)
        {
            return;
        }

        concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
        foreach (var name in names.Where(name => !concrete.Headers.ContainsKey(name)))
        {
            if (_document.Components?.Headers?.ContainsKey(name) != true)
            {
                _document.AddComponent(name, Headers()[name]);
            }

            concrete.Headers[name] = new OpenApiHeaderReference(name, _document);
        }
    }

    /// <summary>
    /// Documents that the operation may answer <paramref name="status"/> with a ProblemDetails, for the reason
    /// <paramref name="description"/> gives; a response the operation already documents for that status keeps what it
    /// says and gains the reason.
    /// </summary>
    public async Task AddProblemAsync(OpenApiOperation operation, int status, string description, bool retryAfter = false, CancellationToken cancellationToken = default)
    {
        operation.Responses ??= [];
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!operation.Responses.TryGetValue(key, out var existing))
        {
            existing = new OpenApiResponse();
            operation.Responses[key] = existing;
        }

        if (existing is not OpenApiResponse response)
        {
            return;
        }

        // The framework's default description is the bare reason phrase, which says nothing the status does not.
        response.Description = string.IsNullOrEmpty(response.Description) || response.Description == ReasonPhrases.GetReasonPhrase(status)
            ? description
            : response.Description.Contains(description, StringComparison.Ordinal) ? response.Description : $"{response.Description} {description}";
        response.Content ??= new Dictionary<string, OpenApiMediaType>();
        if (response.Content.Count == 0)
        {
            if (_document.Components?.Schemas?.ContainsKey(ProblemSchema) != true)
            {
                _document.AddComponent(ProblemSchema, await _context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken));
            }

            response.Content[ProblemMediaType] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ProblemSchema, _document) };
        }

        if (retryAfter)
        {
            AddHeaders(response, RetryAfter);
        }
    }

    private static Dictionary<string, IOpenApiParameter> Parameters() => new()
    {
        [TokenParameter] = new OpenApiParameter
        {
            Name = ConsistencyHeaders.Token,
            In = ParameterLocation.Header,
            Description = "A consistency token from an earlier response's X-Consistency-Token: the read sees at least what that "
                + "response had seen, on whichever server or device it runs. A token is signed and belongs to the signed-in "
                + "user it was issued to: a read by anyone else (or by no one) refuses it with 400.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        },
        [ReadConsistencyParameter] = new OpenApiParameter
        {
            Name = ConsistencyHeaders.ReadConsistency,
            In = ParameterLocation.Header,
            Description = "`strong` runs the read on the primary. Needs a signed-in user; strong reads are rate-limited per user.",
            Schema = StrongOnly(),
        },
        [StrongQueryParameter] = new OpenApiParameter
        {
            Name = StrongQueryParameter,
            In = ParameterLocation.Query,
            Description = "`strong` runs the read on the primary, as the X-Read-Consistency header does.",
            Schema = StrongOnly(),
        },
        [IdempotencyKeyParameter] = new OpenApiParameter
        {
            Name = IdempotencyHeaders.Key,
            In = ParameterLocation.Header,
            Description = "A key the client chooses for one logical write. A repeat with the same key and request commits "
                + "nothing and gets the first response again (marked Idempotent-Replayed); the same key with another "
                + "request answers 422. Keys are per user. Send one with every write you may retry.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255, Pattern = "^[ -~]+$" },
        },
    };

    private static Dictionary<string, IOpenApiHeader> Headers() => new()
    {
        [ConsistencyHeaders.ReadSource] = new OpenApiHeader
        {
            Description = "Where the read ran: `primary` or `replica:NAME`.",
            Required = true,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^(primary|replica:.+)$" },
        },
        [ConsistencyHeaders.Reason] = new OpenApiHeader
        {
            Description = "Why the read ran there, e.g. `eventual`, `own-write-replica-caught-up`, `replicas-behind`, "
                + "`guard-fallback`, `critical`, `other-timeline`, `replicas-unavailable`, `decision-unavailable`.",
            Required = true,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        },
        [ConsistencyHeaders.Token] = new OpenApiHeader
        {
            Description = "A consistency token for a signed-in user: send it back as the X-Consistency-Token request header "
                + "on later reads (from any server or device) to read at least as far as this response.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        },
        [IdempotencyHeaders.Replayed] = new OpenApiHeader
        {
            Description = "`true` when this response is the stored outcome of an earlier request with the same "
                + "Idempotency-Key: nothing was written this time.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("true")] },
        },
        [RetryAfter] = new OpenApiHeader
        {
            Description = "Seconds to wait before retrying.",
            Required = true,
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
        },
    };

    private static OpenApiSchema StrongOnly() => new() { Type = JsonSchemaType.String, Enum = [JsonValue.Create("strong")] };
}
