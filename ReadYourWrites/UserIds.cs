namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// What the library accepts as a user id: any string the app's identity claim holds (an integer's invariant text such
/// as <c>"42"</c>, a GUID, ASP.NET Identity's ids), compared ordinally, that is 1 to <see cref="MaxLength"/> UTF-16
/// characters long, holds no control character and no unpaired surrogate, and neither starts nor ends with white space.
/// The bound keeps grain keys, consistency tokens and stored idempotency keys small; the other rules keep an id that
/// looks the same from naming two users. An id that breaks the rule is never used: from a client (a route value, a
/// token) it is answered 400, from the caller's claim 401.
/// </summary>
public static class UserIds
{
    /// <summary>The most UTF-16 characters a user id may have (a GUID has 36, ASP.NET Identity's ids are GUIDs).</summary>
    public const int MaxLength = 128;

    /// <summary>True when <paramref name="id"/> is a usable user id.</summary>
    public static bool IsValid(string? id) => Error(id) is null;

    /// <summary>Why <paramref name="id"/> is not a usable user id (a sentence that names no part of it), or null when it is one.</summary>
    public static string? Error(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return "A user id is not empty.";
        }

        if (id.Length > MaxLength)
        {
            return $"A user id is at most {MaxLength} characters long.";
        }

        if (char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[^1]))
        {
            return "A user id neither starts nor ends with white space.";
        }

        for (var i = 0; i < id.Length; i++)
        {
            if (char.IsHighSurrogate(id[i]) && i + 1 < id.Length && char.IsLowSurrogate(id[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(id[i]))
            {
                return "A user id is well-formed text (no unpaired surrogate).";
            }
            else if (char.IsControl(id[i]))
            {
                return "A user id holds no control characters.";
            }
        }

        return null;
    }
}
