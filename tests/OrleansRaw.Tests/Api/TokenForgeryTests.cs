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
    private const long Me = 4242;
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
        long? reader = Me;
        var sent = kind switch
        {
            "payload-changed" => Join(Encoding.UTF8.GetBytes($"v2|{Me}|1|FFFFFFFF/0"), signature),
            "payload-of-another-user" => Join(Encoding.UTF8.GetBytes($"v2|{Me + 1}|1|0/3000148"), signature),
            "signature-changed" => Join(payload, [.. signature.Select((b, i) => i == 0 ? (byte)(b ^ 1) : b)]),
            "signature-truncated" => Join(payload, signature[..16]),
            "signature-missing" => Base64Url.EncodeToString(payload) + ".",
            "not-base64" => "!!!!.????",
            "no-dot" => Base64Url.EncodeToString(payload),
            "three-parts" => token + ".x",
            "dot-only" => ".",
            "empty" => "",
            "too-long" => token + new string('A', 300),
            "another-users-token" => _tokens.Issue(Me + 1, Write),
            "signed-with-another-key" => new ConsistencyTokens(Options.Create(new ConsistencyOptions { TokenSigningKey = new string('k', 40) })).Issue(Me, Write),
            "anonymous-reader" => ForAnonymous(token, out reader),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        Assert.False(_tokens.TryRead(sent, reader, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    private static string ForAnonymous(string token, out long? reader)
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
}
