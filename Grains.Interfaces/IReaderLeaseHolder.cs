namespace OrleansRaw;

/// <summary>
/// An API server that holds users' reader states under lease and routes their reads itself. A user's grain calls it
/// before acknowledging another server's write of that user, so no server decides from a state that misses a write.
/// </summary>
[Alias("OrleansRaw.IReaderLeaseHolder")]
internal interface IReaderLeaseHolder : IGrainObserver
{
    /// <summary>Drops the user's state (the grain is at <paramref name="version"/> or later) and returns what this server wrote and served for them.</summary>
    [Alias("RevokeAsync")]
    Task<LeaseReport> RevokeAsync(string userId, ActivationId epoch, long version);

    /// <summary>Another server now serves the user too: from now on ask the grain for every read and record every write there, and return what was written and served so far.</summary>
    [Alias("ShareAsync")]
    Task<LeaseReport> ShareAsync(string userId);
}
