namespace OrleansRaw;

/// <summary>A committed write of a user: the primary's WAL insert position (and timeline) read after the commit, and when.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRaw.WriteRecord")]
internal sealed record WriteRecord(
    [property: Id(0)] WalPosition Position,
    [property: Id(1)] DateTimeOffset At);
