namespace OrleansRaw.Routing;

/// <summary>
/// Deliberate mistakes in the reader-lease protocol, each one a rule of docs/PROTOCOL.md switched off. Production
/// code always runs with <see cref="None"/>; the exploration tests switch one on to prove the harness finds the
/// violation it causes (a harness that cannot fail a broken protocol proves nothing about the real one).
/// </summary>
[Flags]
internal enum ProtocolFlaws
{
    None = 0,

    /// <summary>The grain acknowledges a write without revoking the other servers' copies.</summary>
    SkipRevocation = 1,

    /// <summary>A server routes from its copy after the copy's lease ran out.</summary>
    TrustExpiredCopy = 2,

    /// <summary>A lease that ended without its holder's report is not accounted for (no primary position taken).</summary>
    DropLapseRule = 4,

    /// <summary>A server installs, and hands to its waiting reads, a grant that a revocation overtook.</summary>
    InstallOvertakenGrant = 8,

    /// <summary>A read served without a decision (or past its copy's lease) is not reported before its response leaves.</summary>
    IgnoreFallbackPosition = 16,

    /// <summary>A new activation starts the reader's floor for others' data from nothing.</summary>
    ForgetOthersOnActivation = 32,

    /// <summary>A report of a read served elsewhere is merged without revoking the exclusive copies that miss it.</summary>
    ReportWithoutRevocation = 64,
}
