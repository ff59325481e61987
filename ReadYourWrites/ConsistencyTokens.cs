using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Signed, URL-safe tokens that carry a user's write position to wherever the user reads next (a cookie-style
/// position carried by the client, made tamper-proof): <c>base64url("v2|userId|timeline|lsn") . base64url(HMAC-SHA256)</c>. A <c>v1</c> token
/// (<c>v1|userId|lsn</c>, issued before positions carried their timeline) is still accepted, with timeline 0: it
/// matches no timeline, so its read goes to the primary, and the response carries a <c>v2</c> token.
/// </summary>
internal sealed class ConsistencyTokens
{
    private const string Version = "v2";
    private const string VersionWithoutTimeline = "v1";
    private readonly byte[] _key;

    public ConsistencyTokens(IOptions<ConsistencyOptions> options)
    {
        // A key of its own, derived from the configured secret, so a token can never pass as a JWT signed with the
        // same secret, or the reverse.
        _key = HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.Value.TokenSigningKey), "orleansraw-consistency-token"u8);
    }

    public string Issue(long userId, WalPosition position)
    {
        var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Version}|{userId}|{position.Timeline}|{position.Lsn}"));
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(_key, payload));
    }

    /// <summary>The position in a token issued to <paramref name="userId"/>; false for anything malformed, forged or someone else's.</summary>
    public bool TryRead(string? token, long? userId, out WalPosition position, out string error)
    {
        position = WalPosition.Zero;
        error = "";
        if (string.IsNullOrEmpty(token) || token.Length > 256)
        {
            error = "The consistency token is malformed.";
            return false;
        }

        var dot = token.IndexOf('.');
        byte[] payload, signature;
        try
        {
            if (dot <= 0)
            {
                throw new FormatException();
            }

            payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            error = "The consistency token is malformed.";
            return false;
        }

        if (!CryptographicOperations.FixedTimeEquals(signature, HMACSHA256.HashData(_key, payload)))
        {
            error = "The consistency token's signature is invalid.";
            return false;
        }

        var parts = Encoding.UTF8.GetString(payload).Split('|');
        var timeline = 0u;
        var lsn = Lsn.Zero;
        var wellFormed = parts switch
        {
            [Version, _, var tli, var text] => uint.TryParse(tli, NumberStyles.None, CultureInfo.InvariantCulture, out timeline) && Lsn.TryParse(text, out lsn),
            [VersionWithoutTimeline, _, var text] => Lsn.TryParse(text, out lsn),
            _ => false,
        };
        if (!wellFormed || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var owner))
        {
            error = "The consistency token is malformed.";
            return false;
        }

        position = new WalPosition(timeline, lsn);

        if (owner != userId)
        {
            error = "The consistency token belongs to another user.";
            return false;
        }

        return true;
    }
}
