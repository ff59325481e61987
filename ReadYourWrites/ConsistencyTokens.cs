using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Signed, URL-safe tokens that carry a user's write position to wherever the user reads next (a cookie-style
/// position carried by the client, made tamper-proof): <c>base64url("v3|timeline|lsn|userId") . base64url(HMAC-SHA256)</c>.
/// The user id comes last and runs to the end, so it may hold any character, <c>|</c> included, and a payload reads
/// one way only; it is compared whole and ordinally, so a token of user <c>1</c> is never one of user <c>12</c>. Tokens
/// issued before user ids were strings are still accepted: <c>v2|userId|timeline|lsn</c>, and <c>v1|userId|lsn</c>
/// (issued before positions carried their timeline) with timeline 0, which matches no timeline, so its read goes to
/// the primary and the response carries a <c>v3</c> token. Their user ids are integers, with no <c>|</c>.
/// </summary>
internal sealed class ConsistencyTokens
{
    /// <summary>The longest token read: a <c>v3</c> token of the longest user id (<see cref="UserIds.MaxLength"/> characters of up to 3 UTF-8 bytes each) fits.</summary>
    public const int MaxLength = 1024;

    private const string Version = "v3";
    private const string VersionWithNumericUser = "v2";
    private const string VersionWithoutTimeline = "v1";
    private readonly byte[] _key;

    public ConsistencyTokens(IOptions<ConsistencyOptions> options)
    {
        // A key of its own, derived from the configured secret, so a token can never pass as a JWT signed with the
        // same secret, or the reverse.
        _key = HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.Value.TokenSigningKey), "orleansraw-consistency-token"u8);
    }

    /// <summary>A token of <paramref name="userId"/> (a valid user id, see <see cref="UserIds"/>) for <paramref name="position"/>.</summary>
    public string Issue(string userId, WalPosition position)
    {
        if (UserIds.Error(userId) is { } invalid)
        {
            throw new ArgumentException(invalid, nameof(userId));
        }

        var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Version}|{position.Timeline}|{position.Lsn}|{userId}"));
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(_key, payload));
    }

    /// <summary>The position in a token issued to <paramref name="userId"/>; false for anything malformed, forged or someone else's.</summary>
    public bool TryRead(string? token, string? userId, out WalPosition position, out string error)
    {
        position = WalPosition.Zero;
        error = "";
        if (string.IsNullOrEmpty(token) || token.Length > MaxLength)
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

        // At most four parts: a v3 token's user id is the rest of the payload, whatever it holds.
        var parts = Encoding.UTF8.GetString(payload).Split('|', 4);
        var (owner, timelineText, lsnText) = parts switch
        {
            [Version, var tli, var lsnPart, var id] => (id, tli, lsnPart),
            [VersionWithNumericUser, var id, var tli, var lsnPart] => (id, tli, lsnPart),
            [VersionWithoutTimeline, var id, var lsnPart] => (id, "0", lsnPart),
            _ => (null, "", ""),
        };
        if (!UserIds.IsValid(owner) || !ParseTimeline(timelineText, out var timeline) || !Lsn.TryParse(lsnText, out var lsn))
        {
            error = "The consistency token is malformed.";
            return false;
        }

        position = new WalPosition(timeline, lsn);

        if (!string.Equals(owner, userId, StringComparison.Ordinal))
        {
            error = "The consistency token belongs to another user.";
            return false;
        }

        return true;
    }

    private static bool ParseTimeline(string text, out uint timeline) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out timeline);
}
