namespace OrleansRaw.Routing;

/// <summary>A WAL position (with its timeline) and when this silo learned that the primary had reached it.</summary>
internal readonly record struct Known
{
    public static readonly Known Nothing = new(WalPosition.Zero, DateTimeOffset.MinValue);

    // A user grain holds three of these per active user: the time as UTC ticks takes 8 bytes where a DateTimeOffset
    // takes 16 (its offset, always zero here, is padded to 8).
    private readonly long _atUtcTicks;

    public Known(WalPosition position, DateTimeOffset at)
    {
        Position = position;
        _atUtcTicks = at.UtcTicks;
    }

    public WalPosition Position { get; }

    public DateTimeOffset At => new(_atUtcTicks, TimeSpan.Zero);

    public Lsn Lsn => Position.Lsn;

    /// <summary>The later position (a later timeline wins, see <see cref="WalPosition.Latest"/>); for the same position, the earlier time (it existed since then).</summary>
    public static Known Max(Known a, Known b) =>
        a.Position == b.Position ? (a.At <= b.At ? a : b)
        : WalPosition.Latest(a.Position, b.Position) == a.Position ? a : b;
}

/// <summary>
/// What the policy knows of one reader: their last write, and how far the data they were served reached — kept
/// apart for their own data and everyone else's, because each later read must reflect only what the earlier results
/// of the same kind depended on.
/// </summary>
internal readonly record struct ReaderState(Known LastWrite, Known SeenOwn, Known SeenOthers)
{
    public static readonly ReaderState None = new(Known.Nothing, Known.Nothing, Known.Nothing);

    /// <summary>What a lease holder reported, as learned at <paramref name="at"/>.</summary>
    public static ReaderState Of(LeaseReport report, DateTimeOffset at) =>
        new(new Known(report.LastWrite, at), new Known(report.Own, at), new Known(report.Others, at));

    /// <summary>Each position the later of the two (see <see cref="Known.Max"/>).</summary>
    public static ReaderState Max(ReaderState a, ReaderState b) =>
        new(Known.Max(a.LastWrite, b.LastWrite), Known.Max(a.SeenOwn, b.SeenOwn), Known.Max(a.SeenOthers, b.SeenOthers));

    /// <summary>The positions, as a lease holder reports them.</summary>
    public LeaseReport Report => new(SeenOwn.Position, SeenOthers.Position, LastWrite.Position);
}
