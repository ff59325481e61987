using Microsoft.Extensions.Primitives;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// A write request sent with an <c>Idempotency-Key</c>: whose key it is, the key, and the request's fingerprint.
/// Keys are scoped to the user: another user's identical key names a different write.
/// </summary>
internal sealed record IdempotentRequest(string UserId, string Key, byte[] Fingerprint, TimeSpan KeepFor)
{
    public const int MaxKeyLength = 255;

    /// <summary>Why the header's value is not a usable key, or null when it is one.</summary>
    public static string? KeyError(StringValues header)
    {
        if (header.Count != 1)
        {
            return $"Send one {IdempotencyHeaders.Key} header.";
        }

        var key = header[0] ?? "";
        if (key.Length is 0 or > MaxKeyLength)
        {
            return $"An {IdempotencyHeaders.Key} is 1 to {MaxKeyLength} characters long.";
        }

        return key.All(c => c is >= ' ' and <= '~') ? null : $"An {IdempotencyHeaders.Key} holds printable ASCII characters only.";
    }
}
