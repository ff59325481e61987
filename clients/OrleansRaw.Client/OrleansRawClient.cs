using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;

namespace OrleansRaw.Client;

/// <summary>Builds the generated client on an <see cref="HttpClient"/>.</summary>
public static class OrleansRawClient
{
    /// <summary>
    /// The typed client calling the API at <paramref name="http"/>'s base address with its default headers (the bearer
    /// token). Give the HttpClient a <see cref="ConsistencyTokenHandler"/> (<see cref="CreateHttpClient"/>) to read
    /// your writes across calls.
    /// </summary>
    public static OrleansRawApiClient Create(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http.BaseAddress);
        // The document's server is relative ("/"), so the base address comes from the HttpClient, without its last slash
        // (the generated paths start with one).
        var adapter = new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http)
        {
            BaseUrl = http.BaseAddress.GetLeftPart(UriPartial.Path).TrimEnd('/'),
        };
        return new OrleansRawApiClient(adapter);
    }

    /// <summary>An HttpClient for <paramref name="baseAddress"/> that carries the consistency token in <paramref name="store"/>.</summary>
    public static HttpClient CreateHttpClient(Uri baseAddress, IConsistencyTokenStore? store = null, HttpMessageHandler? innerHandler = null) =>
        new(new ConsistencyTokenHandler(store, innerHandler ?? new SocketsHttpHandler())) { BaseAddress = baseAddress };
}
