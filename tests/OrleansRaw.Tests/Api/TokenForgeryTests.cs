using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Routing;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Api;

/// <summary>
/// Consistency tokens refuse every forgery, malformation and foreign token on their own, with no cluster or database:
/// the HTTP tests then only need to show that a refusal becomes a 400.
/// </summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class TokenForgeryTests
{
    private const string Me = "4242";
    private const string SomeoneElse = "4243";
    private static readonly WalPosition Write = new(1, Lsn.Parse("0/3000148"));
    private readonly ConsistencyTokens _tokens = new(Options.Create(new ConsistencyOptions { TokenSigningKey = Deployment.SigningKey }));

    [Fact]
    public void AnIssuedToken_ReadsBackForItsUser()
    {
        Assert.True(_tokens.TryRead(_tokens.Issue(Me, Write), Me, out var position, out var error), error);
        Assert.Equal(Write, position);
    }

    [Theory]
    [InlineData("payload-changed")]
    [InlineData("payload-of-another-user")]
    [InlineData("signature-changed")]
    [InlineData("signature-truncated")]
    [InlineData("signature-missing")]
    [InlineData("not-base64")]
    [InlineData("no-dot")]
    [InlineData("three-parts")]
    [InlineData("dot-only")]
    [InlineData("empty")]
    [InlineData("too-long")]
    [InlineData("another-users-token")]
    [InlineData("signed-with-another-key")]
    [InlineData("anonymous-reader")]
    public void ForgedMalformedOrForeignTokens_AreRefused_WithAReason(string kind)
    {
        var token = _tokens.Issue(Me, Write);
        var dot = token.IndexOf('.');
        var payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
        var signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        string? reader = Me;
        var sent = kind switch
        {
            "payload-changed" => Join(Encoding.UTF8.GetBytes($"v3|1|FFFFFFFF/0|{Me}"), signature),
            "payload-of-another-user" => Join(Encoding.UTF8.GetBytes($"v3|1|0/3000148|{SomeoneElse}"), signature),
            "signature-changed" => Join(payload, [.. signature.Select((b, i) => i == 0 ? (byte)(b ^ 1) : b)]),
            "signature-truncated" => Join(payload, signature[..16]),
            "signature-missing" => Base64Url.EncodeToString(payload) + ".",
            "not-base64" => "!!!!.????",
            "no-dot" => Base64Url.EncodeToString(payload),
            "three-parts" => token + ".x",
            "dot-only" => ".",
            "empty" => "",
            "too-long" => token + new string('A', ConsistencyTokens.MaxLength),
            "another-users-token" => _tokens.Issue(SomeoneElse, Write),
            "signed-with-another-key" => new ConsistencyTokens(Options.Create(new ConsistencyOptions { TokenSigningKey = new string('k', 40) })).Issue(Me, Write),
            "anonymous-reader" => ForAnonymous(token, out reader),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        Assert.False(_tokens.TryRead(sent, reader, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    private static string ForAnonymous(string token, out string? reader)
    {
        reader = null;
        return token;
    }

    private static string Join(byte[] payload, byte[] signature) => Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(signature);

    [Fact]
    public void TheTokenKey_IsDerived_SoATokenSignatureIsNotAnHmacWithTheSecretItself()
    {
        var token = _tokens.Issue(Me, Write);
        var dot = token.IndexOf('.');
        var payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
        var direct = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Deployment.SigningKey), payload);
        Assert.NotEqual(Base64Url.EncodeToString(direct), token[(dot + 1)..]);
    }

    [Theory]
    [InlineData("1", "12")]
    [InlineData("12", "1")]
    [InlineData("1", "11")]
    [InlineData("2", "12")]
    [InlineData("12", "2")]
    [InlineData("a|b", "a")]
    [InlineData("a", "a|b")]
    [InlineData("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "3f2504e0-4f89-11d3-9a0c-0305e82c330")]
    [InlineData("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "3F2504E0-4F89-11D3-9A0C-0305E82C3301")]
    [InlineData("alice", "Alice")]
    public void AToken_IsRefused_ForAUserWhoseIdIsAPrefixSuffixOrVariantOfItsOwn(string owner, string reader)
    {
        var token = _tokens.Issue(owner, Write);
        Assert.True(_tokens.TryRead(token, owner, out _, out var error), error);
        Assert.False(_tokens.TryRead(token, reader, out _, out error));
        Assert.Equal("The consistency token belongs to another user.", error);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    [InlineData("a|b|c|d")]
    [InlineData("user@example.com")]
    [InlineData("名前|ユーザー")]
    public void AnyValidUserId_RoundTrips_ThroughAToken(string userId)
    {
        Assert.True(_tokens.TryRead(_tokens.Issue(userId, Write), userId, out var position, out var error), error);
        Assert.Equal(Write, position);
    }

    [Fact]
    public void TheLongestUserIdOfThreeByteCharacters_FitsInAToken()
    {
        var userId = new string('語', UserIds.MaxLength);
        var token = _tokens.Issue(userId, Write);
        Assert.InRange(token.Length, 1, ConsistencyTokens.MaxLength);
        Assert.True(_tokens.TryRead(token, userId, out _, out var error), error);
    }

    [Fact]
    public void ATokenIssuedBeforeIdsWereStrings_StillReads_ForItsNumericUser()
    {
        // Signed as version 2 did: v2|user|timeline|lsn, with the same derived key.
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Deployment.SigningKey), "orleansraw-consistency-token"u8);
        var payload = Encoding.UTF8.GetBytes($"v2|{Me}|1|0/3000148");
        var v2 = Join(payload, HMACSHA256.HashData(key, payload));
        Assert.True(_tokens.TryRead(v2, Me, out var position, out var error), error);
        Assert.Equal(Write, position);
        Assert.False(_tokens.TryRead(v2, SomeoneElse, out _, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 42")]
    [InlineData("a\nb")]
    public void Issuing_ForAnInvalidUserId_Throws(string userId) =>
        Assert.Throws<ArgumentException>(() => _tokens.Issue(userId, Write));
}
