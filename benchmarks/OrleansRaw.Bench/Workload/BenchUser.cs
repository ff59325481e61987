using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using OrleansRaw.Client;
using OrleansRaw.Client.Api.Cart;
using OrleansRaw.Client.Api.Cart.Items;
using OrleansRaw.Client.Api.Posts;
using OrleansRaw.Client.Api.Profile;
using OrleansRaw.Client.Api.Users;
using OrleansRaw.Client.Models;
using OwnProfileRequests = OrleansRaw.Client.Api.Profile.Item.WithUserItemRequestBuilder;

namespace OrleansRaw.Bench.Workload;

/// <summary>
/// One signed-in user talking to the API through the generated client (<c>clients/OrleansRaw.Client</c>), as an app
/// would, without the consistency token handler (the API routes its reads alone). Every call returns a
/// <see cref="Sample"/>; a failed call is recorded, never thrown, so one bad answer does not end the user's run. A user
/// makes one call at a time, as every driver here does: its calls share one headers option.
/// </summary>
public sealed class BenchUser
{
    private const string ReadSourceHeader = "X-Read-Source";
    private const string ReasonHeader = "X-Consistency-Reason";

    // Strong reads only (the probe's reference): a configured request costs Kiota a RequestConfiguration and a copy of
    // its query parameters by reflection, so the other calls pass none.
    private static readonly Action<RequestConfiguration<PostsRequestBuilder.PostsRequestBuilderGetQueryParameters>> StrongPosts =
        static c => c.QueryParameters.Consistency = Client.Api.Posts.GetConsistencyQueryParameterType.Strong;
    private static readonly Action<RequestConfiguration<OwnProfileRequests.WithUserItemRequestBuilderGetQueryParameters>> StrongProfile =
        static c => c.QueryParameters.Consistency = Client.Api.Profile.Item.GetConsistencyQueryParameterType.Strong;
    private static readonly Action<RequestConfiguration<CartRequestBuilder.CartRequestBuilderGetQueryParameters>> StrongCart =
        static c => c.QueryParameters.Consistency = Client.Api.Cart.GetConsistencyQueryParameterType.Strong;

    private readonly long _userId;
    private readonly Func<TimeSpan> _clock;
    private readonly HttpClient _http;
    private readonly OrleansRawApiClient _api;

    // Kiota's headers inspection as this user's handler's default option, so no call needs configuring for it; cleared
    // before each call, because the handler adds to what the option holds.
    private readonly HeadersInspectionHandlerOption _headers = new() { InspectResponseHeaders = true };

    // Built once: each request builder is a few objects and a copy of its path parameters.
    private readonly PostsRequestBuilder _posts;
    private readonly ProfileRequestBuilder _profiles;
    private readonly OwnProfileRequests _ownProfile;
    private readonly CartRequestBuilder _cart;
    private readonly ItemsRequestBuilder _cartItems;
    private readonly UsersRequestBuilder _users;

    private int _writes;
    private Written? _last;

    public BenchUser(ApiTarget target, long userId, Func<TimeSpan> clock)
    {
        _userId = userId;
        _clock = clock;
        _http = target.CreateClient(new HeadersInspectionHandler(_headers));
        _api = OrleansRawClient.Create(_http);
        _posts = _api.Api.Posts;
        _profiles = _api.Api.Profile;
        _ownProfile = _profiles[userId];
        _cart = _api.Api.Cart;
        _cartItems = _cart.Items;
        _users = _api.Api.Users;
    }

    public long Id => _userId;

    /// <summary>What the last write put there, for the read-back check.</summary>
    private sealed record Written(WriteKind Kind, long PostId = 0, string ProfileName = "", long ProductId = 0);

    public async Task SignInAsync(CancellationToken cancellationToken)
    {
        var answer = await _api.Api.Auth.DevToken.PostAsync(new DevTokenRequest { UserId = _userId }, cancellationToken: cancellationToken);
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            answer?.Token ?? throw new InvalidOperationException($"the dev token of user {_userId} came without a token"));
    }

    /// <summary>Writes one thing of <paramref name="kind"/>; each write is unique, so its read-back is unambiguous.</summary>
    public async Task<Sample> WriteAsync(WriteKind kind, CancellationToken cancellationToken)
    {
        var n = ++_writes;
        var call = Start();
        try
        {
            switch (kind)
            {
                case WriteKind.Post:
                    var post = await _posts.PostAsync(new CreatePostRequest { Content = $"bench post {n} of user {_userId}" }, cancellationToken: cancellationToken);
                    _last = new Written(kind, PostId: post?.Id ?? throw new InvalidOperationException("the API answered a post without its id"));
                    break;
                case WriteKind.Profile:
                    await _profiles.PutAsync(new UpdateProfileRequest { Name = ProfileName(n), Bio = $"profile version {n}" }, cancellationToken: cancellationToken);
                    _last = new Written(kind, ProfileName: ProfileName(n));
                    break;
                default:
                    await _cartItems.PostAsync(new AddItemRequest { ProductId = n, Quantity = 1 }, cancellationToken: cancellationToken);
                    _last = new Written(kind, ProductId: n);
                    break;
            }

            return Answered(call, RequestKind.Write, fresh: null, think: null);
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            var route = kind switch
            {
                WriteKind.Post => "POST /api/posts",
                WriteKind.Profile => "PUT /api/profile",
                _ => "POST /api/cart/items",
            };
            return Failure(call, RequestKind.Write, ex, route, think: null);
        }
    }

    /// <summary>
    /// Reads back the data of the last write; stale when it does not show that write. <paramref name="strong"/> asks
    /// for the primary (<c>?consistency=strong</c>), which the API honours in every mode.
    /// </summary>
    public async Task<Sample> ReadOwnAsync(TimeSpan think, CancellationToken cancellationToken, bool strong = false)
    {
        var last = _last ?? throw new InvalidOperationException("read-back before any successful write");
        var call = Start();
        try
        {
            var fresh = last.Kind switch
            {
                WriteKind.Post => HasPost(await _posts.GetAsync(strong ? StrongPosts : null, cancellationToken), last.PostId),
                WriteKind.Profile => (await _ownProfile.GetAsync(strong ? StrongProfile : null, cancellationToken))?.Name == last.ProfileName,
                _ => HasProduct(await _cart.GetAsync(strong ? StrongCart : null, cancellationToken), last.ProductId),
            };
            return Answered(call, RequestKind.OwnRead, fresh, think);
        }
        catch (ApiException ex) when (last.Kind == WriteKind.Profile && ex.ResponseStatusCode == (int)HttpStatusCode.NotFound)
        {
            // No profile yet is an answer, and a stale one: the write made it.
            return Answered(call, RequestKind.OwnRead, fresh: false, think);
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            var route = last.Kind switch
            {
                WriteKind.Post => "GET /api/posts",
                WriteKind.Profile => "GET /api/profile/{id}",
                _ => "GET /api/cart",
            };
            return Failure(call, RequestKind.OwnRead, ex, strong ? route + "?consistency=strong" : route, think);
        }
    }

    /// <summary>Reads another user's posts or profile; any answer (a profile not yet written is a 404) is fine.</summary>
    public async Task<Sample> ReadForeignAsync(long otherUserId, ForeignKind kind, CancellationToken cancellationToken)
    {
        var call = Start();
        try
        {
            if (kind == ForeignKind.Posts)
            {
                await _users[otherUserId].Posts.GetAsync(cancellationToken: cancellationToken);
            }
            else
            {
                await _profiles[otherUserId].GetAsync(cancellationToken: cancellationToken);
            }

            return Answered(call, RequestKind.ForeignRead, fresh: null, think: null);
        }
        catch (ApiException ex) when (ex.ResponseStatusCode == (int)HttpStatusCode.NotFound)
        {
            return Answered(call, RequestKind.ForeignRead, fresh: null, think: null);
        }
        catch (Exception ex) when (IsFailure(ex, cancellationToken))
        {
            return Failure(call, RequestKind.ForeignRead, ex, kind == ForeignKind.Posts ? "GET /api/users/{id}/posts" : "GET /api/profile/{id}", think: null);
        }
    }

    private string ProfileName(int n) => $"user {_userId} v{n}";

    private (TimeSpan At, long Started) Start()
    {
        _headers.ResponseHeaders.Clear();
        return (_clock(), Stopwatch.GetTimestamp());
    }

    private Sample Answered((TimeSpan At, long Started) call, RequestKind kind, bool? fresh, TimeSpan? think) =>
        new(kind, true, call.At, Stopwatch.GetElapsedTime(call.Started).TotalMilliseconds, Header(ReadSourceHeader), Header(ReasonHeader), fresh, think);

    // Error keys group by endpoint, not by user: the status for an answer the client does not accept, else the exception.
    private static Sample Failure((TimeSpan At, long Started) call, RequestKind kind, Exception ex, string route, TimeSpan? think) =>
        new(kind, false, call.At, Stopwatch.GetElapsedTime(call.Started).TotalMilliseconds, Think: think,
            Error: ex is ApiException api ? $"{api.ResponseStatusCode} {route}" : $"{ex.GetType().Name} {route}");

    // Kiota throws ApiException for any status but 2xx (a ProblemDetails one where the document names the status).
    private static bool IsFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is ApiException || (ex is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested);

    private string? Header(string name) =>
        _headers.ResponseHeaders.TryGetValue(name, out var values) ? values.FirstOrDefault() : null;

    private static bool HasPost(List<Post>? posts, long id)
    {
        foreach (var post in posts ?? [])
        {
            if (post.Id == id)
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasProduct(Cart? cart, long productId)
    {
        foreach (var item in cart?.Items ?? [])
        {
            if (item.ProductId == productId)
            {
                return true;
            }
        }

        return false;
    }
}
