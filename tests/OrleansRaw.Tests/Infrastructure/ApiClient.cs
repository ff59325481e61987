using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>A thin HTTP client for the API's contract, as a browser or app would use it.</summary>
public sealed class ApiClient(HttpClient http) : IDisposable
{
    public HttpClient Http => http;

    /// <summary>The signed-in user's id, or null before <see cref="SignInAsync"/>.</summary>
    public long? UserId { get; private set; }

    public sealed record TokenResponse(string Token);

    public sealed record Post(long Id, long UserId, string Content, DateTime CreatedAt);

    public sealed record Profile(long Id, string Name, string Bio, DateTime UpdatedAt);

    public sealed record CartItem(long ProductId, int Quantity, DateTime AddedAt);

    public sealed record Cart(List<CartItem> Items);

    /// <summary>Gets a development token for <paramref name="userId"/> and sends it on every later request.</summary>
    public async Task<ApiClient> SignInAsync(long userId)
    {
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenForAsync(userId));
        UserId = userId;
        return this;
    }

    public async Task<string> TokenForAsync(long userId)
    {
        using var response = await http.PostAsJsonAsync("/api/auth/dev-token", new { userId });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<TokenResponse>())!.Token;
    }

    public async Task<(Post Post, string? Token)> CreatePostAsync(string content)
    {
        using var response = await http.PostAsJsonAsync("/api/posts", new { content });
        await EnsureAsync(response);
        return ((await response.Content.ReadFromJsonAsync<Post>())!, Header(response, "X-Consistency-Token"));
    }

    public async Task<Read<T>> GetAsync<T>(string path, string? consistencyToken = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (consistencyToken is not null)
        {
            request.Headers.Add("X-Consistency-Token", consistencyToken);
        }

        using var response = await http.SendAsync(request);
        await EnsureAsync(response);
        return new Read<T>((await response.Content.ReadFromJsonAsync<T>())!, Header(response, "X-Read-Source")!, Header(response, "X-Consistency-Reason")!);
    }

    /// <summary>Like <see cref="GetAsync{T}"/>, but a 404 (nothing there yet, as far as that node knows) reads as null.</summary>
    public async Task<Read<T?>> GetOrNotFoundAsync<T>(string path) where T : class
    {
        using var response = await http.GetAsync(path);
        if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
        {
            await EnsureAsync(response);
        }

        var body = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<T>() : null;
        return new Read<T?>(body, Header(response, "X-Read-Source")!, Header(response, "X-Consistency-Reason")!);
    }

    public async Task<Profile> PutProfileAsync(string name, string bio)
    {
        using var response = await http.PutAsJsonAsync("/api/profile", new { name, bio });
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<Profile>())!;
    }

    public async Task<Cart> AddToCartAsync(long productId, int quantity)
    {
        using var response = await http.PostAsJsonAsync("/api/cart/items", new { productId, quantity });
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<Cart>())!;
    }

    public void Dispose() => http.Dispose();

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    private static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode} {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}

/// <summary>A read's body and where it ran.</summary>
public sealed record Read<T>(T Body, string Source, string Reason)
{
    public bool FromPrimary => Source == "primary";
}
