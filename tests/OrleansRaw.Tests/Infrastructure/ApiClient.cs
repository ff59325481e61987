using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Http.HttpClientLibrary.Extensions;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using OrleansRaw.Client;
using CartConsistency = OrleansRaw.Client.Api.Cart.GetConsistencyQueryParameterType;
using FeedConsistency = OrleansRaw.Client.Api.Feed.GetConsistencyQueryParameterType;
using Models = OrleansRaw.Client.Models;
using PostConsistency = OrleansRaw.Client.Api.Posts.Item.GetConsistencyQueryParameterType;
using PostsConsistency = OrleansRaw.Client.Api.Posts.GetConsistencyQueryParameterType;
using ProfileConsistency = OrleansRaw.Client.Api.Profile.Item.GetConsistencyQueryParameterType;
using TestHandlers = Microsoft.AspNetCore.Mvc.Testing.Handlers;
using UserPostsConsistency = OrleansRaw.Client.Api.Users.Item.Posts.GetConsistencyQueryParameterType;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// The API's public contract as an app uses it: every call goes through the client Kiota generates from the OpenAPI
/// document (<see cref="OrleansRawApiClient"/>), with the response headers the tests look at read back through Kiota's
/// <see cref="HeadersInspectionHandlerOption"/>. A failed call throws the generated client's
/// <see cref="ApiException"/> (a <see cref="Models.ProblemDetails"/> where the document says so): assert on it with
/// <see cref="ProblemResponse.ThrowsAsync"/>, or take it as an <see cref="Answer{T}"/> (<see cref="AnswerAsync"/>) where
/// a test counts statuses. Unlike <see cref="ConsistencyTokenHandler"/>, nothing is carried between calls: a test sends
/// a consistency token only where it passes one.
/// </summary>
public sealed class ApiClient : IDisposable
{
    private const string TokenHeader = "X-Consistency-Token";

    private readonly HttpClient _http;
    private readonly OrleansRawApiClient _api;

    private ApiClient(HttpClient http)
    {
        _http = http;
        _api = OrleansRawClient.Create(http);
    }

    /// <summary>
    /// The same connection and credentials, for what the generated client cannot send or does not know: malformed or
    /// over-size bodies, forged headers, endpoints outside the document (health, metrics, the OpenAPI document).
    /// </summary>
    public HttpClient Http => _http;

    /// <summary>The signed-in user's id, or null before <see cref="SignInAsync"/>.</summary>
    public long? UserId { get; private set; }

    public sealed record Post(long Id, long UserId, string Content, DateTime CreatedAt);

    public sealed record Profile(long Id, string Name, string Bio, DateTime UpdatedAt);

    public sealed record CartItem(long ProductId, int Quantity, DateTime AddedAt);

    public sealed record Cart(List<CartItem> Items);

    /// <summary>A client of the test server (or of its Kestrel port) of <paramref name="api"/>.</summary>
    public static ApiClient For(WebApplicationFactory<Program> api) =>
        // What WebApplicationFactory.CreateClient() sets up (redirects, cookies), then the handlers the answers are read with.
        new(api.CreateDefaultClient(
            new TestHandlers.RedirectHandler(), new TestHandlers.CookieContainerHandler(), new HeadersInspectionHandler(), new StatusHandler()));

    /// <summary>A client of the API listening at <paramref name="address"/>.</summary>
    public static ApiClient At(Uri address, TimeSpan? timeout = null)
    {
        var handlers = new HeadersInspectionHandler { InnerHandler = new StatusHandler { InnerHandler = new SocketsHttpHandler() } };
        return new(new HttpClient(handlers) { BaseAddress = address, Timeout = timeout ?? TimeSpan.FromSeconds(100) });
    }

    /// <summary>Gets a development token for <paramref name="userId"/> and sends it on every later request.</summary>
    public async Task<ApiClient> SignInAsync(long userId)
    {
        SignInAs(await TokenForAsync(userId));
        UserId = userId;
        return this;
    }

    /// <summary>Sends <paramref name="bearer"/> on every later request.</summary>
    public void SignInAs(string bearer) => _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);

    /// <summary>Signs in as whoever <paramref name="other"/> is signed in as.</summary>
    public ApiClient SignInAs(ApiClient other)
    {
        _http.DefaultRequestHeaders.Authorization = other._http.DefaultRequestHeaders.Authorization;
        UserId = other.UserId;
        return this;
    }

    public async Task<string> TokenForAsync(long userId) =>
        (await _api.Api.Auth.DevToken.PostAsync(new Models.DevTokenRequest { UserId = userId }))!.Token!;

    /// <param name="headers">Headers the document does not describe, sent as well (a balancer's <c>X-Request-Id</c>).</param>
    public Task<Written<Post>> CreatePostAsync(string content, string? idempotencyKey = null, IDictionary<string, string>? headers = null) =>
        WriteAsync(call => _api.Api.Posts.PostAsync(new Models.CreatePostRequest { Content = content }, c => call.Configure(c, idempotencyKey, headers)), ToPost);

    public Task<Written<Profile>> PutProfileAsync(string name, string bio, string? idempotencyKey = null) =>
        WriteAsync(call => _api.Api.Profile.PutAsync(new Models.UpdateProfileRequest { Name = name, Bio = bio }, c => call.Configure(c, idempotencyKey)), ToProfile);

    public Task<Written<Cart>> AddToCartAsync(long productId, int quantity, string? idempotencyKey = null) =>
        WriteAsync(call => _api.Api.Cart.Items.PostAsync(new Models.AddItemRequest { ProductId = productId, Quantity = quantity }, c => call.Configure(c, idempotencyKey)), ToCart);

    /// <summary>Removes a product from the cart. The answer has no body (204): the result's body is just true.</summary>
    public Task<Written<bool>> RemoveFromCartAsync(long productId, string? idempotencyKey = null) =>
        WriteAsync(async call =>
        {
            await _api.Api.Cart.Items[productId].DeleteAsync(c => call.Configure(c, idempotencyKey));
            return true;
        }, removed => removed);

    /// <summary>The signed-in user's posts (<c>GET /api/posts</c>), as of <paramref name="token"/> when given.</summary>
    /// <param name="headers">Headers the document does not describe, sent as well (a balancer's <c>X-Request-Id</c>).</param>
    public Task<Read<List<Post>>> GetPostsAsync(string? token = null, StrongRead strong = StrongRead.No, IDictionary<string, string>? headers = null) =>
        ReadAsync(call => _api.Api.Posts.GetAsync(c =>
        {
            call.Configure(c, token, strong, headers);
            c.QueryParameters.Consistency = strong == StrongRead.Query ? PostsConsistency.Strong : null;
        }), ToPosts);

    public Task<Read<Post>> GetPostAsync(long id, string? token = null, StrongRead strong = StrongRead.No) =>
        ReadAsync(call => _api.Api.Posts[id].GetAsync(c =>
        {
            call.Configure(c, token, strong);
            c.QueryParameters.Consistency = strong == StrongRead.Query ? PostConsistency.Strong : null;
        }), ToPost);

    /// <summary>Another user's posts (<c>GET /api/users/{userId}/posts</c>).</summary>
    public Task<Read<List<Post>>> GetUserPostsAsync(long userId, string? token = null, StrongRead strong = StrongRead.No) =>
        ReadAsync(call => _api.Api.Users[userId].Posts.GetAsync(c =>
        {
            call.Configure(c, token, strong);
            c.QueryParameters.Consistency = strong == StrongRead.Query ? UserPostsConsistency.Strong : null;
        }), ToPosts);

    public Task<Read<List<Post>>> GetFeedAsync(string? token = null, StrongRead strong = StrongRead.No) =>
        ReadAsync(call => _api.Api.Feed.GetAsync(c =>
        {
            call.Configure(c, token, strong);
            c.QueryParameters.Consistency = strong == StrongRead.Query ? FeedConsistency.Strong : null;
        }), ToPosts);

    public Task<Read<Profile>> GetProfileAsync(long userId, string? token = null, StrongRead strong = StrongRead.No) =>
        ReadAsync(call => _api.Api.Profile[userId].GetAsync(c =>
        {
            call.Configure(c, token, strong);
            c.QueryParameters.Consistency = strong == StrongRead.Query ? ProfileConsistency.Strong : null;
        }), ToProfile);

    /// <summary>Like <see cref="GetProfileAsync"/>, but a 404 (no profile yet, as far as that node knows) reads as null.</summary>
    public async Task<Read<Profile?>> GetProfileOrNotFoundAsync(long userId)
    {
        var call = new Call();
        try
        {
            var read = await ReadAsync(c => _api.Api.Profile[userId].GetAsync(c.Configure), ToProfile, call);
            return new Read<Profile?>(read.Body, read.Source, read.Reason) { Status = read.Status, Headers = read.Headers, Token = read.Token };
        }
        catch (ApiException ex) when (ex.ResponseStatusCode == (int)HttpStatusCode.NotFound)
        {
            return new Read<Profile?>(null, call.Header("X-Read-Source")!, call.Header("X-Consistency-Reason")!) { Status = HttpStatusCode.NotFound, Headers = call.Headers };
        }
    }

    public Task<Read<Cart>> GetCartAsync(string? token = null, StrongRead strong = StrongRead.No) =>
        ReadAsync(call => _api.Api.Cart.GetAsync(c =>
        {
            call.Configure(c, token, strong);
            c.QueryParameters.Consistency = strong == StrongRead.Query ? CartConsistency.Strong : null;
        }), ToCart);

    /// <summary>The replica snapshot (<c>GET /api/replicas</c>), in the document's model.</summary>
    public Task<Reply<Models.ReplicasView>> GetReplicasAsync() => ReplyAsync(call => _api.Api.Replicas.GetAsync(call.Configure));

    /// <summary>The development lag control: every replica's apply delay.</summary>
    public Task<Reply<List<Models.ReplicaLagSetting>>> GetReplicaLagsAsync() => ReplyAsync(call => _api.Api.Dev.Replicas.Lag.GetAsync(call.Configure));

    /// <summary>The development lag control: sets <paramref name="replica"/>'s apply delay.</summary>
    public Task<Written<Models.ReplicaLagSetting>> SetReplicaLagAsync(string replica, int delayMs) =>
        WriteAsync(call => _api.Api.Dev.Replicas[replica].Lag.PutAsync(new Models.SetLagRequest { DelayMs = delayMs }, call.Configure), setting => setting);

    /// <summary>
    /// What <paramref name="call"/> answered, a success or the problem it threw, for tests and workloads that count
    /// what a user would see.
    /// </summary>
    public static async Task<Answer<T>> AnswerAsync<T>(Task<T> call) where T : class, IAnswer
    {
        try
        {
            var result = await call;
            return new Answer<T>(result.Status, result, null);
        }
        catch (ApiException problem)
        {
            return new Answer<T>((HttpStatusCode)problem.ResponseStatusCode, null, problem);
        }
    }

    public void Dispose() => _http.Dispose();

    private static Task<Read<T>> ReadAsync<TModel, T>(Func<Call, Task<TModel?>> send, Func<TModel, T> map) => ReadAsync(send, map, new Call());

    private static async Task<Read<T>> ReadAsync<TModel, T>(Func<Call, Task<TModel?>> send, Func<TModel, T> map, Call call)
    {
        var body = await call.SendAsync(send);
        return new Read<T>(map(body!), call.Header("X-Read-Source")!, call.Header("X-Consistency-Reason")!)
        {
            Status = call.Status,
            Headers = call.Headers,
            Token = call.Header(TokenHeader),
        };
    }

    private static async Task<Reply<T>> ReplyAsync<T>(Func<Call, Task<T?>> send)
    {
        var call = new Call();
        var body = await call.SendAsync(send);
        return new Reply<T>(body!) { Status = call.Status, Headers = call.Headers };
    }

    private static async Task<Written<T>> WriteAsync<TModel, T>(Func<Call, Task<TModel?>> send, Func<TModel, T> map)
    {
        var call = new Call();
        var body = await call.SendAsync(send);
        return new Written<T>(map(body!), call.Header(TokenHeader))
        {
            Status = call.Status,
            Headers = call.Headers,
            Replayed = call.Header("Idempotent-Replayed") == "true",
            Location = call.Header("Location"),
        };
    }

    private static Post ToPost(Models.Post post) => new(post.Id!.Value, post.UserId!.Value, post.Content!, post.CreatedAt!.Value.UtcDateTime);

    private static List<Post> ToPosts(List<Models.Post> posts) => [.. posts.Select(ToPost)];

    private static Profile ToProfile(Models.Profile profile) => new(profile.Id!.Value, profile.Name!, profile.Bio!, profile.UpdatedAt!.Value.UtcDateTime);

    private static Cart ToCart(Models.Cart cart) =>
        new([.. cart.Items!.Select(item => new CartItem(item.ProductId!.Value, item.Quantity!.Value, item.AddedAt!.Value.UtcDateTime))]);

    /// <summary>One call: the headers it sends beyond the generated ones, and what its answer's status and headers were.</summary>
    private sealed class Call
    {
        private readonly HeadersInspectionHandlerOption _headers = new() { InspectResponseHeaders = true };
        private readonly StatusOption _status = new();

        public HttpStatusCode Status => _status.Status ?? throw new InvalidOperationException("no answer yet");

        /// <summary>The answer's headers, its content's included.</summary>
        public IDictionary<string, IEnumerable<string>> Headers => _headers.ResponseHeaders;

        public string? Header(string name) => _headers.ResponseHeaders.TryGetValue(name, out var values) ? values.Single() : null;

        public void Configure<TQuery>(RequestConfiguration<TQuery> request) where TQuery : class, new()
        {
            request.Options.Add(_headers);
            request.Options.Add(_status);
        }

        public void Configure<TQuery>(RequestConfiguration<TQuery> request, string? idempotencyKey, IDictionary<string, string>? headers = null)
            where TQuery : class, new()
        {
            Configure(request);
            if (idempotencyKey is not null)
            {
                request.Headers.Add("Idempotency-Key", idempotencyKey);
            }

            foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            {
                request.Headers.Add(name, value);
            }
        }

        public void Configure<TQuery>(RequestConfiguration<TQuery> request, string? token, StrongRead strong, IDictionary<string, string>? headers = null)
            where TQuery : class, new()
        {
            Configure(request, idempotencyKey: null, headers);
            if (token is not null)
            {
                request.Headers.Add(TokenHeader, token);
            }

            if (strong == StrongRead.Header)
            {
                request.Headers.Add("X-Read-Consistency", "strong");
            }
        }

        public async Task<TModel?> SendAsync<TModel>(Func<Call, Task<TModel?>> send)
        {
            try
            {
                return await send(this);
            }
            catch (ApiException ex)
            {
                // Kiota's exception carries the response's headers but not its content's: the tests check a problem's media type.
                ex.ResponseHeaders = Headers;
                throw;
            }
            catch (InvalidOperationException ex) when (_status.Status is { } status && (int)status >= 400)
            {
                // An error body of a media type Kiota cannot parse (a balancer's text/html 503) fails the parse, not the
                // call: make it the ApiException any other error is.
                throw new ApiException($"{(int)status} with a body the client cannot read: {ex.Message}", ex)
                {
                    ResponseStatusCode = (int)status,
                    ResponseHeaders = Headers,
                };
            }
        }
    }

    /// <summary>
    /// The status of a call's answer. Kiota hands back only the body of a success, and the tests tell a 201 from a 200
    /// (and record statuses as a user would see them), so <see cref="StatusHandler"/> notes it where the call asks.
    /// </summary>
    private sealed class StatusOption : IRequestOption
    {
        public HttpStatusCode? Status { get; set; }
    }

    private sealed class StatusHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.GetRequestOption<StatusOption>() is { } option)
            {
                option.Status = response.StatusCode;
            }

            return response;
        }
    }
}

/// <summary>How a read asks for strong consistency (the primary): not at all, by the <c>consistency</c> query parameter or by the <c>X-Read-Consistency</c> header.</summary>
public enum StrongRead
{
    No,
    Query,
    Header,
}

/// <summary>A successful call's status and headers.</summary>
public interface IAnswer
{
    HttpStatusCode Status { get; }

    IDictionary<string, IEnumerable<string>> Headers { get; }
}

/// <summary>A call's status, and its result when it succeeded or the problem the generated client threw when it did not.</summary>
public sealed record Answer<T>(HttpStatusCode Status, T? Result, ApiException? Problem) where T : class, IAnswer
{
    /// <summary>The <c>Retry-After</c> of the answer, when it has one.</summary>
    public string? RetryAfter => Header("Retry-After");

    public string? Header(string name) =>
        (Result?.Headers ?? Problem?.ResponseHeaders) is { } headers && headers.TryGetValue(name, out var values) ? values.Single() : null;
}

/// <summary>A read's body and where it ran.</summary>
public sealed record Read<T>(T Body, string Source, string Reason) : IAnswer
{
    public bool FromPrimary => Source == "primary";

    public HttpStatusCode Status { get; init; }

    public IDictionary<string, IEnumerable<string>> Headers { get; init; } = new Dictionary<string, IEnumerable<string>>();

    /// <summary>The answer's consistency token.</summary>
    public string? Token { get; init; }
}

/// <summary>The body of an answer that is neither a routed read nor a write (the replica snapshot, the lag control).</summary>
public sealed record Reply<T>(T Body) : IAnswer
{
    public HttpStatusCode Status { get; init; }

    public IDictionary<string, IEnumerable<string>> Headers { get; init; } = new Dictionary<string, IEnumerable<string>>();
}

/// <summary>A write's body and its consistency token, and what else its answer said.</summary>
public sealed record Written<T>(T Body, string? Token) : IAnswer
{
    public HttpStatusCode Status { get; init; }

    public IDictionary<string, IEnumerable<string>> Headers { get; init; } = new Dictionary<string, IEnumerable<string>>();

    /// <summary>The answer is the first one again, replayed for a repeated <c>Idempotency-Key</c>.</summary>
    public bool Replayed { get; init; }

    public string? Location { get; init; }
}
