using System.Diagnostics;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// What one request did with the database, in one place: the routing decision its declaration obtained, where its
/// reads ran and how far they reached, and whether it wrote. The declaration's filter sets the decision,
/// <see cref="RoutedDatabase"/> records the rest, and the filter reads it back to answer the request.
/// </summary>
internal sealed class ConsistencyContext
{
    /// <summary>The decision for this request's reads; null until a read declaration (or a background read) took one.</summary>
    public RoutingDecision? Decision { get; internal set; }

    /// <summary>The read the declaration asked a decision for (who reads, whose data, any position the caller sent).</summary>
    public ReadRequest? Request { get; internal set; }

    /// <summary>Where the last read actually ran: <c>primary</c> or <c>replica:NAME</c>.</summary>
    public string? ReadSource { get; internal set; }

    /// <summary>Why the last read ran there (the decision's reason, or a fallback's).</summary>
    public string? ReadReason { get; internal set; }

    /// <summary>A position at or past the data the reads returned, with its timeline (zero before any read).</summary>
    public WalPosition ServedAt { get; internal set; }

    /// <summary>The replica the last read ran on, or null for the primary.</summary>
    public string? ServedBy { get; internal set; }

    /// <summary>
    /// True once a write started on the primary during this request. Set before the write is sent: a write may commit
    /// and its request still fail (a client that hangs up, a later statement that throws), and it must count all the same.
    /// </summary>
    public bool Wrote { get; internal set; }

    /// <summary>The primary's position read right after this request's write committed, when it could be read in the same round trip.</summary>
    public WalPosition? WrittenThrough { get; internal set; }

    /// <summary>The request's <c>Idempotency-Key</c>, when the write declaration found one.</summary>
    internal IdempotentRequest? Idempotency { get; set; }

    /// <summary>The span that shows this read's routing in the request's trace (<see cref="RoutingSpan"/>); null when no tracer listens.</summary>
    internal Activity? Routing { get; set; }

    internal void Served(string source, string reason, WalPosition at, string? replica)
    {
        ReadSource = source;
        ReadReason = reason;
        ServedAt = at;
        ServedBy = replica;
        RoutingSpan.Served(Routing, source);
    }
}
