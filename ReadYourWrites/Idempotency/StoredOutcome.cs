namespace OrleansRaw.ReadYourWrites;

/// <summary>The response a keyed write produced, as stored with the key: replayed byte for byte to a repeat.</summary>
internal sealed record StoredOutcome(int Status, string? ContentType, string? Location, byte[] Body);
