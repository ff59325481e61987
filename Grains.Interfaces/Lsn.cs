using System.Globalization;

namespace OrleansRaw;

/// <summary>
/// A PostgreSQL write-ahead-log position (<c>pg_lsn</c>), written as two hexadecimal halves <c>X/Y</c>.
/// Positions only grow on one timeline, so comparing them orders writes and replay progress.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRaw.Lsn")]
public readonly record struct Lsn([property: Id(0)] ulong Value) : IComparable<Lsn>
{
    /// <summary>The position before any write; every replica has replayed it.</summary>
    public static readonly Lsn Zero = new(0);

    /// <summary>Parses PostgreSQL's <c>X/Y</c> text form.</summary>
    /// <exception cref="FormatException">The text is not an LSN.</exception>
    public static Lsn Parse(string text) =>
        TryParse(text, out var lsn) ? lsn : throw new FormatException($"'{text}' is not a PostgreSQL LSN (X/Y in hex).");

    /// <summary>Parses PostgreSQL's <c>X/Y</c> text form; false for anything else.</summary>
    public static bool TryParse(string? text, out Lsn lsn)
    {
        lsn = Zero;
        if (string.IsNullOrEmpty(text) || text.Length > 17)
        {
            return false;
        }

        var slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1 || slash > 8 || text.Length - slash - 1 > 8)
        {
            return false;
        }

        const NumberStyles hex = NumberStyles.AllowHexSpecifier;
        if (!uint.TryParse(text.AsSpan(0, slash), hex, CultureInfo.InvariantCulture, out var high)
            || !uint.TryParse(text.AsSpan(slash + 1), hex, CultureInfo.InvariantCulture, out var low))
        {
            return false;
        }

        lsn = new Lsn(((ulong)high << 32) | low);
        return true;
    }

    private const ulong WalPageSize = 8192;
    private const ulong WalSegmentSize = 16 * 1024 * 1024;
    private const ulong ShortPageHeader = 24;
    private const ulong LongPageHeader = 40;

    /// <summary>
    /// The end of the WAL written so far, given an insert position. An insert position just past a page header means
    /// every record so far ends at the page boundary, and a replica that replayed them all reports the boundary; without
    /// this, such a replica would look one header behind until the next write.
    /// </summary>
    public Lsn ToWrittenEnd() =>
        Value % WalSegmentSize == LongPageHeader ? new Lsn(Value - LongPageHeader)
        : Value % WalPageSize == ShortPageHeader && Value % WalSegmentSize != ShortPageHeader ? new Lsn(Value - ShortPageHeader)
        : this;

    /// <summary>The later of two positions.</summary>
    public static Lsn Max(Lsn a, Lsn b) => a.Value >= b.Value ? a : b;

    /// <summary>Bytes of WAL between <paramref name="older"/> and this position (0 when this is not later).</summary>
    public long BytesAfter(Lsn older) => Value > older.Value ? (long)Math.Min(Value - older.Value, long.MaxValue) : 0;

    /// <summary>Orders positions of one timeline: earlier WAL first.</summary>
    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);

    /// <summary>True when <paramref name="a"/> is earlier in the WAL than <paramref name="b"/>.</summary>
    public static bool operator <(Lsn a, Lsn b) => a.Value < b.Value;

    /// <summary>True when <paramref name="a"/> is later in the WAL than <paramref name="b"/>.</summary>
    public static bool operator >(Lsn a, Lsn b) => a.Value > b.Value;

    /// <summary>True when <paramref name="a"/> is not later in the WAL than <paramref name="b"/>.</summary>
    public static bool operator <=(Lsn a, Lsn b) => a.Value <= b.Value;

    /// <summary>True when <paramref name="a"/> is not earlier in the WAL than <paramref name="b"/>.</summary>
    public static bool operator >=(Lsn a, Lsn b) => a.Value >= b.Value;

    /// <summary>PostgreSQL's text form, e.g. <c>0/16B37D8</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(uint)(Value >> 32):X}/{(uint)Value:X}");
}
