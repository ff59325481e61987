using Microsoft.Extensions.Options;
using System.ComponentModel.DataAnnotations;

namespace OrleansRaw.Routing;

/// <summary>
/// How reads are routed, bound from the <c>Consistency</c> section by silos and API servers alike; the request side
/// also reads its waits, its strong-read limits and how it recognises a user from here.
/// </summary>
public sealed class ConsistencyOptions
{
    /// <summary>The configuration section these settings are bound from.</summary>
    public const string SectionName = "Consistency";

    /// <summary>How a user's own reads are routed (<see cref="ConsistencyMode.Lsn"/> unless measuring a baseline).</summary>
    public ConsistencyMode Mode { get; set; } = ConsistencyMode.Lsn;

    /// <summary>Lsn mode: how long a read may wait, on a replica, for it to replay the reader's floor; a read expected to wait longer goes to the primary at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan MaxReplicaWait { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Lsn mode: how much longer than its lag predicts a read may wait on a replica (the lag is sampled once a poll).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan ReplicaWaitMargin { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>The longest wait a read may ask for itself (<see cref="ReadRequest.MaxWait"/>), e.g. a background job.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxRequestedWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Window mode: a fixed grace period, or <c>auto</c> (observed P99 lag × 2 + 100 ms).</summary>
    public string GracePeriod { get; set; } = "00:00:05";

    /// <summary>Lsn mode: no read of a user is served from a replica behind what that user was already served.</summary>
    public bool MonotonicReads { get; set; } = true;

    /// <summary>
    /// How long an API server may route a user's reads from a copy of their state without asking the grain. A write
    /// through another server waits (at most this long, when a holder cannot be reached) until every copy is revoked.
    /// Must stay well under the time membership takes to declare a silo dead, which the silo checks at start.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan ReaderLease { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Positions are compared only on one timeline: a replica on another timeline than the cluster's is not used, and a
    /// floor read on another timeline sends the read to the primary. <c>false</c> compares LSNs alone, as before
    /// timelines were tracked: unsafe after a crash-failover (a baseline for the failover drill only).
    /// </summary>
    public bool CompareTimelines { get; set; } = true;

    /// <summary>
    /// How long a user's grain stays in memory without a call (it goes at most half as long again later: Orleans looks
    /// for idle grains in rounds). Nothing of it is kept anywhere: the user's next call activates it again at the
    /// primary's current position, which is at or past every write they made, so a shorter time costs memory nothing
    /// and costs that user's first reads after a return a primary read or a wait for the replicas, never a stale read.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan IdleDeactivation { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Request side: a routing decision slower than this is abandoned and the read goes to the primary (always safe).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan DecisionTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Request side: how long a committed write keeps retrying to record itself in the user's grain before the request answers 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan RecordWriteTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Request side: the claim of the signed-in principal that carries the user id, any string (when absent, its inbound-mapped name, e.g. <c>ClaimTypes.NameIdentifier</c> for <c>sub</c>, is read).</summary>
    [Required, MinLength(1)]
    public string UserIdClaim { get; set; } = "sub";

    /// <summary>
    /// Request side: the secret consistency tokens are signed with (at least 32 bytes). Tokens are signed with a key
    /// derived from it, so the same secret may also sign the app's JWTs.
    /// </summary>
    public string TokenSigningKey { get; set; } = "";

    /// <summary>Request side: strong reads (<c>consistency=strong</c>) always cost the primary: a signed-in user gets this many a second.</summary>
    [Range(1, 100_000)]
    public int StrongReadsPerSecond { get; set; } = 5;

    /// <summary>Request side: how many strong reads a user may make at once before <see cref="StrongReadsPerSecond"/> applies.</summary>
    [Range(1, 100_000)]
    public int StrongReadBurst { get; set; } = 20;

    /// <summary>True when <see cref="GracePeriod"/> follows the observed replica lag.</summary>
    public bool AutoGracePeriod => string.Equals(GracePeriod, "auto", StringComparison.OrdinalIgnoreCase);

    /// <summary>The fixed grace period (ignored when <see cref="AutoGracePeriod"/>).</summary>
    public TimeSpan FixedGracePeriod =>
        AutoGracePeriod ? TimeSpan.Zero
        : TimeSpan.TryParse(GracePeriod, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= TimeSpan.Zero ? value
        : throw new OptionsValidationException(SectionName, typeof(ConsistencyOptions),
            [$"Consistency:GracePeriod must be a time span (e.g. 00:00:05) or 'auto', not '{GracePeriod}'."]);
}
