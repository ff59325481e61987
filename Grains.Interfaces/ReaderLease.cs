namespace OrleansRaw;

/// <summary>
/// A user's reader state lent to one API server until <see cref="Duration"/> after it asked, or until revoked. Times
/// travel as ages so that no two machines' clocks are ever compared.
/// </summary>
/// <param name="Epoch">The grain activation that granted it (its Orleans activation id); versions are comparable only within one activation.</param>
/// <param name="Version">Counts the user's recorded writes in this activation; a revocation names the version it follows.</param>
/// <param name="LastWrite">The user's last write.</param>
/// <param name="SeenOwn">How far reads of the user's own data reached.</param>
/// <param name="SeenOthers">How far reads of others' data reached.</param>
/// <param name="Duration">How long the holder may use it, counted from when it sent the request.</param>
/// <param name="Shared">Other servers serve the user too: the holder asks the grain for every read, reports what it served and records every write here. An exclusive holder records the user's writes in its copy and reports them when asked.</param>
[GenerateSerializer, Immutable, Alias("OrleansRaw.ReaderLease")]
internal sealed record ReaderLease(
    [property: Id(0)] ActivationId Epoch,
    [property: Id(1)] long Version,
    [property: Id(2)] AgedPosition LastWrite,
    [property: Id(3)] AgedPosition SeenOwn,
    [property: Id(4)] AgedPosition SeenOthers,
    [property: Id(5)] TimeSpan Duration,
    [property: Id(6)] bool Shared);

/// <summary>A WAL position and how long ago, by the sender's clock, the primary reached it (null: unknown, e.g. nothing).</summary>
[GenerateSerializer, Immutable, Alias("OrleansRaw.AgedPosition")]
internal readonly record struct AgedPosition([property: Id(0)] WalPosition Position, [property: Id(1)] TimeSpan? Age);

/// <summary>
/// What an API server did for one user under its lease: the last write it acknowledged without telling the grain (an
/// exclusive lease lets it), and how far the data it served reached — the user's own data, and everyone else's.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRaw.LeaseReport")]
internal readonly record struct LeaseReport(
    [property: Id(0)] WalPosition Own,
    [property: Id(1)] WalPosition Others,
    [property: Id(2)] WalPosition LastWrite = default)
{
    public static readonly LeaseReport None = default;
}
