namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Where a request's committed write is remembered for the user's next reads: <see cref="WriteRecorder"/>, in the
/// user's grain or this server's leased copy of it. Internal: the one other implementation is this repository's
/// benchmark baseline, registered in its place through <see cref="ReadYourWritesHosting"/>'s internal overload.
/// </summary>
internal interface IWriteRecording
{
    /// <summary>The position recorded for the request's write, or null when it could not be recorded within <paramref name="limit"/> (the configured timeout when null).</summary>
    Task<WalPosition?> RecordAsync(HttpContext http, string userId, ConsistencyContext context, TimeSpan? limit);
}
