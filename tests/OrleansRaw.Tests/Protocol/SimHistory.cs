namespace OrleansRaw.Tests.Protocol;

/// <summary>
/// What the simulated clients saw, checked as each read completes: no own read that began after a write was
/// acknowledged misses it, and no read shows less than a read of the same kind (own data, others' data) that
/// completed before it began — whichever server served either. One exception, the one docs/PROTOCOL.md leaves to
/// the consistency token: a read whose server could not tell the grain what it served (its report failed) binds only
/// that server's later reads; a client that goes to another server next must send the token back.
/// </summary>
internal sealed class SimHistory
{
    private readonly List<(long At, long Position)> _acked = [];
    private readonly List<(bool Own, long Ended, long Served, string Where, string Server, bool TokenOnly)> _reads = [];

    public int InProgress { get; private set; }

    public int Writes => _acked.Count;

    public int Reads => _reads.Count;

    public string? Violation { get; private set; }

    public long Begin()
    {
        InProgress++;
        return 0;
    }

    public void Acked(long at, long position)
    {
        InProgress--;
        _acked.Add((at, position));
    }

    public void Failed() => InProgress--;

    public void Read(bool own, long began, long ended, long served, string where, string server, bool tokenOnly)
    {
        InProgress--;
        if (Violation is null && own && _acked.FirstOrDefault(w => w.At < began && w.Position > served) is { Position: > 0 } missed)
        {
            Violation = $"stale own read: {where} began at #{began} and served {served}, missing the write at {missed.Position} acknowledged at #{missed.At}";
        }

        if (Violation is null && _reads.FirstOrDefault(r => r.Own == own && r.Ended < began && r.Served > served && (!r.TokenOnly || r.Server == server)) is { Served: > 0 } earlier)
        {
            Violation = $"read went back ({(own ? "own" : "others'")} data): {where} began at #{began} and served {served}, "
                + $"but {earlier.Where} had served {earlier.Served} by #{earlier.Ended}";
        }

        _reads.Add((own, ended, served, where, server, tokenOnly));
    }
}
