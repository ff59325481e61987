using System.Diagnostics;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The routing span: one per routed read, from the decision to the response, on the activity source
/// <see cref="ActivitySourceName"/>. It carries the decision (why, where, as of which position, in which mode), how long
/// the replica waited for that position, and any fallback to the primary; the grain call that fetched the reader's
/// state and the read's database commands are its children. Nothing is created while no tracer listens to the source
/// (<see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null), so without one a read costs nothing more.
/// </summary>
internal static class RoutingSpan
{
    /// <summary>The activity source to subscribe to (<c>AddSource</c>).</summary>
    public const string ActivitySourceName = ReadYourWritesTelemetry.ActivitySourceName;

    /// <summary>The span's name.</summary>
    public const string Name = ReadYourWritesTelemetry.RoutingSpanName;

    /// <summary>Attribute and event names, named once.</summary>
    public static class Attributes
    {
        /// <summary>Why the decision sent the read where it did: a <see cref="RoutingReasons"/> value.</summary>
        public const string Reason = "orleansraw.routing.reason";

        /// <summary>
        /// Where the read ran, as in <c>X-Read-Source</c>: <c>primary</c> or <c>replica:NAME</c>. Set to the decision's
        /// choice, then to where the read was served, which differs after a fallback.
        /// </summary>
        public const string Source = "orleansraw.routing.source";

        /// <summary>How long the replica read waited for the required position to be replayed (ms; 0 when it was not allowed to wait).</summary>
        public const string WaitedMs = "orleansraw.routing.waited_ms";

        /// <summary>How long the decision allowed the replica to wait (ms).</summary>
        public const string MaxWaitMs = "orleansraw.routing.max_wait_ms";

        /// <summary>
        /// The position the read had to reflect (PostgreSQL's <c>X/Y</c>; <c>0/0</c> for none): the one checked on the
        /// replica, or, for <c>replicas-behind</c>, the one no replica was expected to replay in time.
        /// </summary>
        public const string RequiredLsn = "orleansraw.routing.required_lsn";

        /// <summary>The configured routing mode (<c>Lsn</c>, <c>Window</c>, <c>AlwaysPrimary</c>, <c>Eventual</c>).</summary>
        public const string Mode = "orleansraw.routing.mode";

        /// <summary>
        /// Set when a read the decision sent to a replica ran on the primary instead: <c>guard-fallback</c> (the replica had
        /// not replayed the position by the end of its check) or <c>replicas-unavailable</c> (an error or no answer in time).
        /// Also the name of the event that marks the moment, with <see cref="Reason"/> and the replica tried as <see cref="Source"/>.
        /// </summary>
        public const string Fallback = "orleansraw.routing.fallback";

        /// <summary>The HTTP status of a read refused before any decision (a bad token, a strong read over its limit).</summary>
        public const string Refused = "orleansraw.routing.refused";
    }

    private static readonly ActivitySource Source = new(ActivitySourceName, typeof(RoutingSpan).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the span as a child of the current activity, or returns null when no tracer listens.</summary>
    internal static Activity? Start() => Source.StartActivity(Name, ActivityKind.Internal);

    internal static void Decided(Activity? span, RoutingDecision decision, string mode)
    {
        if (span is not { IsAllDataRequested: true })
        {
            return;
        }

        span.SetTag(Attributes.Reason, decision.Reason);
        span.SetTag(Attributes.Source, decision.Replica is { } replica ? ReadSources.Replica(replica) : ReadSources.Primary);
        span.SetTag(Attributes.RequiredLsn, decision.RequiredLsn.ToString());
        span.SetTag(Attributes.Mode, mode);
        span.SetTag(Attributes.MaxWaitMs, decision.MaxWait.TotalMilliseconds);
        span.SetTag(Attributes.WaitedMs, 0d);
    }

    internal static void Waited(Activity? span, TimeSpan waited)
    {
        if (span is { IsAllDataRequested: true })
        {
            // A request that reads more than once may wait more than once: the total.
            var before = span.GetTagItem(Attributes.WaitedMs) as double? ?? 0;
            span.SetTag(Attributes.WaitedMs, before + waited.TotalMilliseconds);
        }
    }

    internal static void FellBack(Activity? span, string reason, string replica)
    {
        if (span is not { IsAllDataRequested: true })
        {
            return;
        }

        span.SetTag(Attributes.Fallback, reason);
        span.AddEvent(new ActivityEvent(Attributes.Fallback, tags: new ActivityTagsCollection
        {
            [Attributes.Reason] = reason,
            [Attributes.Source] = ReadSources.Replica(replica),
        }));
    }

    internal static void Served(Activity? span, string source)
    {
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(Attributes.Source, source);
        }
    }

    internal static void Refused(Activity? span, int? status)
    {
        if (span is { IsAllDataRequested: true } && status is { } code)
        {
            span.SetTag(Attributes.Refused, code);
        }
    }
}
