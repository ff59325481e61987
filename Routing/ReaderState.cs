namespace OrleansRaw.Routing;

/// <summary>A WAL position (with its timeline) and when this silo learned that the primary had reached it.</summary>
public readonly record struct Known(WalPosition Position, DateTimeOffset At)
{
    public static readonly Known Nothing = new(WalPosition.Zero, DateTimeOffset.MinValue);

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
public readonly record struct ReaderState(Known LastWrite, Known SeenOwn, Known SeenOthers)
{
    public static readonly ReaderState None = new(Known.Nothing, Known.Nothing, Known.Nothing);
}
