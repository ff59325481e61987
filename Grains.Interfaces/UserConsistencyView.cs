namespace OrleansRaw;

/// <summary>What a user's consistency grain remembers: the last write (null before the first), the newest position the user was served, and which silo holds it.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRaw.UserConsistencyView")]
internal sealed record UserConsistencyView(
    [property: Id(0)] string UserId,
    [property: Id(1)] WriteRecord? LastWrite,
    [property: Id(2)] long Writes,
    [property: Id(3)] string Silo,
    [property: Id(4)] WalPosition Seen);
