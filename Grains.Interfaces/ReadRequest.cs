namespace OrleansRaw;

/// <summary>A read to be routed.</summary>
/// <param name="ReaderId">The signed-in user who reads, or null for an anonymous reader.</param>
/// <param name="OwnerId">The user whose data is read, or null for data no single user owns (a global feed).</param>
/// <param name="Critical">The caller asked for the primary (a critical read: the caller will not accept anything older than the primary).</param>
/// <param name="ClientPosition">A position the reader proved it has seen (a verified consistency token), if any; timeline 0 for a token that carries none.</param>
/// <param name="MaxWait">How long this read may wait for a replica instead of the configured default (background work can wait longer than a page).</param>
[GenerateSerializer, Immutable, Alias("OrleansRaw.ReadRequest")]
internal sealed record ReadRequest(
    [property: Id(0)] string? ReaderId,
    [property: Id(1)] string? OwnerId,
    [property: Id(2)] bool Critical = false,
    [property: Id(3)] WalPosition? ClientPosition = null,
    [property: Id(4)] TimeSpan? MaxWait = null)
{
    /// <summary>True when a signed-in user reads their own data: the only reads routed for consistency.</summary>
    public bool IsOwnRead => ReaderId is not null && string.Equals(ReaderId, OwnerId, StringComparison.Ordinal);
}
