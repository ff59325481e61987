using System.Security.Cryptography;
using System.Text;

namespace OrleansRaw.Client;

/// <summary>
/// Carries the API's consistency token across a client's calls: keeps the <c>X-Consistency-Token</c> of every response
/// in a store and sends the latest one on every request, per user (the request's Authorization header) and API base
/// address. With it, a read sees every write the client made or saw before, on any API server, even after the client
/// restarts when the store is persistent.
/// </summary>
public sealed class ConsistencyTokenHandler : DelegatingHandler
{
    /// <summary>The header the API reads the token from and answers it in.</summary>
    public const string HeaderName = "X-Consistency-Token";

    private readonly IConsistencyTokenStore _store;
    private readonly Func<HttpRequestMessage, string> _scope;

    /// <summary>
    /// A handler keeping tokens in <paramref name="store"/> (in memory when null), one per <paramref name="scope"/> of a
    /// request (by default <see cref="ScopeByUser"/>: every API server of one deployment shares the user's token).
    /// </summary>
    public ConsistencyTokenHandler(IConsistencyTokenStore? store = null, Func<HttpRequestMessage, string>? scope = null)
    {
        _store = store ?? new InMemoryConsistencyTokenStore();
        _scope = scope ?? ScopeByUser;
    }

    /// <summary>The same, sending requests on to <paramref name="innerHandler"/>.</summary>
    public ConsistencyTokenHandler(IConsistencyTokenStore? store, HttpMessageHandler innerHandler, Func<HttpRequestMessage, string>? scope = null)
        : this(store, scope) => InnerHandler = innerHandler;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var scope = _scope(request);
        // A token the caller set by hand wins: it knows better than the store.
        if (!request.Headers.Contains(HeaderName) && await _store.GetAsync(scope, cancellationToken) is { } token)
        {
            request.Headers.TryAddWithoutValidation(HeaderName, token);
        }

        var response = await base.SendAsync(request, cancellationToken);
        // The API answers with a token covering what it was sent and what it served, so the last one is the latest.
        if (response.Headers.TryGetValues(HeaderName, out var values) && values.LastOrDefault() is { Length: > 0 } latest)
        {
            await _store.SetAsync(scope, latest, cancellationToken);
        }

        return response;
    }

    /// <summary>
    /// A hash of the request's credentials: tokens are bound to their user, so one user's token is never sent for
    /// another, and the credentials themselves are never written to the store.
    /// </summary>
    public static string ScopeByUser(HttpRequestMessage request)
    {
        var credentials = request.Headers.Authorization?.ToString() ?? "";
        return credentials.Length == 0
            ? "anonymous"
            : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(credentials)))[..32];
    }

    /// <summary>
    /// The API's origin and the user: for a store shared by clients of several deployments, whose tokens (signed by
    /// each deployment's key) one another refuses.
    /// </summary>
    public static string ScopeByOriginAndUser(HttpRequestMessage request) =>
        (request.RequestUri is { IsAbsoluteUri: true } uri ? uri.GetLeftPart(UriPartial.Authority) : "") + "|" + ScopeByUser(request);
}
