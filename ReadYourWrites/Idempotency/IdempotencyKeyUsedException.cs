namespace OrleansRaw.ReadYourWrites;

/// <summary>What a key that was already claimed holds for the request that found it so.</summary>
internal enum KeyUse
{
    /// <summary>The same request committed: replay its outcome.</summary>
    SameRequest,

    /// <summary>Another request (method, path or body) holds the key: 422.</summary>
    OtherRequest,

    /// <summary>The key's row holds no outcome (not expected: it is set in the claiming transaction): 409, retry.</summary>
    Unfinished,
}

/// <summary>
/// Thrown by a keyed write whose key another request already claimed and committed. Nothing of this request was
/// written: its transaction stopped at the claim, before the write.
/// </summary>
internal sealed class IdempotencyKeyUsedException(KeyUse use, StoredOutcome? outcome)
    : Exception($"The {IdempotencyHeaders.Key} was already used ({use}).")
{
    public KeyUse Use => use;

    /// <summary>The first request's outcome, when <see cref="Use"/> is <see cref="KeyUse.SameRequest"/>.</summary>
    public StoredOutcome? Outcome => outcome;
}
