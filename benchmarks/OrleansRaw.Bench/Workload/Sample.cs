namespace OrleansRaw.Bench.Workload;

/// <summary>What a request was, from the user's point of view.</summary>
public enum RequestKind
{
    Write,
    OwnRead,
    ForeignRead,
}

/// <summary>
/// One request as the user saw it: whether it succeeded, how long it took end to end, where the API says it read
/// (<c>X-Read-Source</c>) and why (<c>X-Consistency-Reason</c>), and for an own read whether it showed the write.
/// </summary>
/// <param name="At">When the request started, from the start of the cell.</param>
/// <param name="Fresh">Own reads only: true when the read showed the user's latest write.</param>
/// <param name="Think">Own reads only: the pause between the write and this read.</param>
public sealed record Sample(
    RequestKind Kind,
    bool Ok,
    TimeSpan At,
    double LatencyMs,
    string? Source = null,
    string? Reason = null,
    bool? Fresh = null,
    TimeSpan? Think = null,
    string? Error = null)
{
    public bool FromPrimary => Source == "primary";

    public bool Stale => Fresh == false;
}
