namespace OrleansRaw.ReadYourWrites;

/// <summary>A committed write, recorded for its user's next reads.</summary>
/// <param name="UserId">The user who wrote.</param>
/// <param name="Position">A position at or past the write's commit.</param>
/// <param name="Token">The consistency token for that position, as the client gets it in <c>X-Consistency-Token</c>.</param>
public sealed record RecordedWrite(string UserId, WalPosition Position, string Token);
