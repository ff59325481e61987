using System.Globalization;

namespace OrleansRaw;

/// <summary>
/// A WAL position together with the timeline it was read on. An LSN alone orders positions only within one history:
/// after a crash-failover the promoted node starts a new timeline at its switch point, and the WAL the old primary
/// wrote past that point (and a standby may have replayed) is on a dead branch, with LSNs the new timeline will reuse
/// for other data. Positions of different timelines are never compared as LSNs.
/// </summary>
/// <param name="Timeline">The timeline id (PostgreSQL's TLI, 1 for a cluster never failed over); 0 when unknown (a token from before timelines were carried).</param>
/// <param name="Lsn">The position on that timeline.</param>
[GenerateSerializer, Immutable, Alias("OrleansRaw.WalPosition")]
public readonly record struct WalPosition([property: Id(0)] uint Timeline, [property: Id(1)] Lsn Lsn)
{
    /// <summary>No position: nothing to reflect.</summary>
    public static readonly WalPosition Zero = default;

    /// <summary>True when there is nothing to reflect (any node satisfies it).</summary>
    public bool IsZero => Lsn == Lsn.Zero;

    /// <summary>
    /// The later of two positions of one cluster's history. A later timeline wins whatever its LSN: it begins at its
    /// switch point, which is past everything the earlier timeline kept (what the earlier one wrote beyond it was lost).
    /// On the same timeline the later LSN wins.
    /// </summary>
    public static WalPosition Latest(WalPosition a, WalPosition b) =>
        a.IsZero ? b
        : b.IsZero ? a
        : a.Timeline != b.Timeline ? (a.Timeline > b.Timeline ? a : b)
        : a.Lsn >= b.Lsn ? a : b;

    /// <summary>The same position with its LSN stepped back over a WAL page header (<see cref="Lsn.ToWrittenEnd"/>).</summary>
    public WalPosition ToWrittenEnd() => this with { Lsn = Lsn.ToWrittenEnd() };

    /// <summary>The timeline named by a WAL file name (<c>pg_walfile_name()</c>: its first eight hexadecimal digits).</summary>
    /// <exception cref="FormatException">The text is not a WAL file name.</exception>
    public static uint TimelineOfWalFile(string walFileName) =>
        walFileName.Length == 24 && uint.TryParse(walFileName.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var timeline)
            ? timeline
            : throw new FormatException($"'{walFileName}' is not a WAL file name.");

    /// <summary>A position read as <c>lsn::text</c> and <c>pg_walfile_name(lsn)</c> on the node that wrote it.</summary>
    public static WalPosition FromServer(string lsn, string walFileName) => new(TimelineOfWalFile(walFileName), Lsn.Parse(lsn));

    /// <summary>E.g. <c>0/16B37D8 on timeline 2</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Lsn} on timeline {Timeline}");
}
