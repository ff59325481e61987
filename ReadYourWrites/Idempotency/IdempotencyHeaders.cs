namespace OrleansRaw.ReadYourWrites;

/// <summary>The HTTP headers of the idempotency contract.</summary>
public static class IdempotencyHeaders
{
    /// <summary>Request, on any write: a client-chosen key (1–255 printable ASCII characters) naming one logical write.</summary>
    public const string Key = "Idempotency-Key";

    /// <summary>Response: <c>true</c> on a response replayed from a key's stored outcome (nothing was written).</summary>
    public const string Replayed = "Idempotent-Replayed";
}
