using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// Who may do what: every endpoint that needs a user refuses a missing or invalid token with a 401 ProblemDetails,
/// a user always writes as the token's subject, and the development sign-in exists only where it is enabled.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AuthTests(SystemFixture fixture)
{
    private const string Issuer = "orleansraw";
    private const string Audience = "orleansraw";

    public static TheoryData<string, string> SignedInEndpoints => new()
    {
        { "POST", "/api/posts" },
        { "GET", "/api/posts" },
        { "PUT", "/api/profile" },
        { "POST", "/api/cart/items" },
        { "DELETE", "/api/cart/items/7" },
        { "GET", "/api/cart" },
    };

    [Theory]
    [MemberData(nameof(SignedInEndpoints))]
    public async Task Endpoints_ThatNeedAUser_Answer401ProblemDetails_WithoutAToken(string method, string path)
    {
        using var client = fixture.Default.CreateClient();
        await ProblemResponse.ThrowsAsync(() => CallAsync(client, method, path), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("bad-signature")]
    [InlineData("tampered-subject")]
    [InlineData("expired")]
    [InlineData("not-yet-valid")]
    [InlineData("alg-none")]
    [InlineData("no-expiry")]
    [InlineData("wrong-issuer")]
    [InlineData("wrong-audience")]
    [InlineData("subject-not-a-user-id")]
    [InlineData("subject-overflows")]
    [InlineData("not-a-jwt")]
    public async Task InvalidTokens_Are401ProblemDetails_AndWriteNothing(string kind)
    {
        var userId = TestUsers.NewId();
        var now = DateTime.UtcNow;
        var token = kind switch
        {
            "bad-signature" => Token(userId.ToString(CultureInfo.InvariantCulture), now.AddHours(1), key: "another-key-of-the-same-length-0123456789abc"),
            "tampered-subject" => Tampered(Token(TestUsers.NewId().ToString(CultureInfo.InvariantCulture), now.AddHours(1)), userId),
            "expired" => Token(userId.ToString(CultureInfo.InvariantCulture), now.AddMinutes(-5), notBefore: now.AddHours(-1)),
            "not-yet-valid" => Token(userId.ToString(CultureInfo.InvariantCulture), now.AddHours(2), notBefore: now.AddHours(1)),
            "alg-none" => Unsigned(userId, now.AddHours(1)),
            "no-expiry" => Token(userId.ToString(CultureInfo.InvariantCulture), expires: null),
            "wrong-issuer" => Token(userId.ToString(CultureInfo.InvariantCulture), now.AddHours(1), issuer: "someone-else"),
            "wrong-audience" => Token(userId.ToString(CultureInfo.InvariantCulture), now.AddHours(1), audience: "someone-else"),
            "subject-not-a-user-id" => Token("0", now.AddHours(1)),
            "subject-overflows" => Token("99999999999999999999", now.AddHours(1)),
            "not-a-jwt" => "not-a-jwt",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var before = await fixture.Db.UserRowsAsync(userId);

        using var client = fixture.Default.CreateClient();
        client.SignInAs(token);
        foreach (var (method, path) in SignedInEndpoints.Select(row => ((string)row[0], (string)row[1])))
        {
            await ProblemResponse.ThrowsAsync(() => CallAsync(client, method, path), HttpStatusCode.Unauthorized);
        }

        Assert.Equal(before, await fixture.Db.UserRowsAsync(userId));
    }

    [Fact]
    public async Task AValidToken_MintedWithTheSigningKey_IsAccepted()
    {
        // The control for the cases above: the same helper, with nothing wrong, signs in.
        var userId = TestUsers.NewId();
        using var client = fixture.Default.CreateClient();
        client.SignInAs(Token(userId.ToString(CultureInfo.InvariantCulture), DateTime.UtcNow.AddHours(1)));
        var (post, _) = await client.CreatePostAsync("signed by the test");
        Assert.Equal(userId, post.UserId);
    }

    [Fact]
    public async Task AUser_CannotWriteAsAnother_WhateverTheBodySays()
    {
        var victim = TestUsers.NewId();
        var victimBefore = await fixture.Db.UserRowsAsync(victim);
        using var attacker = await fixture.Default.CreateClient().SignInAsync(TestUsers.NewId());

        // Raw HTTP: the bodies carry fields the contract does not have, which the generated client cannot send.
        using var post = await attacker.Http.PostAsJsonAsync("/api/posts", new { content = "as someone else", userId = victim, user_id = victim, id = victim });
        Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        Assert.Equal(attacker.UserId, (await post.Content.ReadFromJsonAsync<ApiClient.Post>())!.UserId);

        using var profile = await attacker.Http.PutAsJsonAsync("/api/profile", new { id = victim, userId = victim, name = "Not the victim", bio = "" });
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        Assert.Equal(attacker.UserId, (await profile.Content.ReadFromJsonAsync<ApiClient.Profile>())!.Id);

        using var cart = await attacker.Http.PostAsJsonAsync("/api/cart/items", new { userId = victim, productId = 7, quantity = 1 });
        Assert.Equal(HttpStatusCode.OK, cart.StatusCode);

        Assert.Equal(victimBefore, await fixture.Db.UserRowsAsync(victim));
        Assert.StartsWith("1 posts", await fixture.Db.UserRowsAsync(attacker.UserId!.Value));
    }

    [Fact]
    public async Task DevTokenEndpoint_IsAbsent_WhenDevTokensAreDisabled()
    {
        var deployment = await fixture.DeploymentAsync("no-dev-tokens", new Dictionary<string, string?> { ["Auth:EnableDevTokens"] = "false" });
        using var client = deployment.CreateClient();

        // Raw HTTP: the endpoint is not there, so what answers is the app's 404, which the document does not describe for it.
        using var response = await client.Http.PostAsJsonAsync("/api/auth/dev-token", new { userId = 42 });
        await ProblemResponse.AssertAsync(response, HttpStatusCode.NotFound);

        // Sign-in still works there with a real token; only the development shortcut is gone.
        var userId = TestUsers.NewId();
        client.SignInAs(Token(userId.ToString(CultureInfo.InvariantCulture), DateTime.UtcNow.AddHours(1)));
        var (post, _) = await client.CreatePostAsync("without dev tokens");
        Assert.Equal(userId, post.UserId);
    }

    // The endpoint of a SignedInEndpoints row, called through the generated client with whatever token the client holds.
    private static Task CallAsync(ApiClient client, string method, string path) => (method, path) switch
    {
        ("POST", "/api/posts") => client.CreatePostAsync("should not be stored"),
        ("GET", "/api/posts") => client.GetPostsAsync(),
        ("PUT", "/api/profile") => client.PutProfileAsync("should not be stored", ""),
        ("POST", "/api/cart/items") => client.AddToCartAsync(7, 1),
        ("DELETE", "/api/cart/items/7") => client.RemoveFromCartAsync(7),
        ("GET", "/api/cart") => client.GetCartAsync(),
        _ => throw new ArgumentOutOfRangeException(nameof(path), $"{method} {path}"),
    };

    private static string Token(string subject, DateTime? expires, DateTime? notBefore = null, string key = Deployment.SigningKey,
        string issuer = Issuer, string audience = Audience)
    {
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var from = notBefore ?? DateTime.UtcNow.AddMinutes(-1);
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = from,
            NotBefore = from,
            Expires = expires,
            Claims = new Dictionary<string, object> { ["sub"] = subject },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
    }

    // The payload of a validly signed token, rewritten to name another user; the signature no longer matches.
    private static string Tampered(string token, long userId)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        var sub = System.Text.Json.Nodes.JsonNode.Parse(payload)!;
        sub["sub"] = userId.ToString(CultureInfo.InvariantCulture);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(sub.ToJsonString())}.{parts[2]}";
    }

    private static string Unsigned(long userId, DateTime expires)
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        var payload = Base64UrlEncoder.Encode(
            $$"""{"sub":"{{userId}}","iss":"{{Issuer}}","aud":"{{Audience}}","exp":{{new DateTimeOffset(expires).ToUnixTimeSeconds()}}}""");
        return $"{header}.{payload}.";
    }
}
