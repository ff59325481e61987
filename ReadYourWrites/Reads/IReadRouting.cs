namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Where a declared read runs, and what is noted after it ran: <see cref="ReadRouter"/>, which asks the user's grain
/// (under lease) and follows the replica monitor. Internal: the one other implementation is this repository's benchmark
/// baseline, registered in its place through <see cref="ReadYourWritesHosting"/>'s internal overload.
/// </summary>
internal interface IReadRouting
{
    /// <summary>The mode routing spans name (<see cref="RoutingSpan.Attributes.Mode"/>).</summary>
    string Mode { get; }

    /// <summary>Where <paramref name="request"/> runs, and why.</summary>
    Task<RoutingDecision> DecideAsync(ReadRequest request, CancellationToken cancellationToken);

    /// <summary>Notes where the read ran and how far the data it <paramref name="served"/> reached.</summary>
    Task NoteServedAsync(ReadRequest request, RoutingDecision decision, ConsistencyContext served);
}

internal static class ReadRoutingExtensions
{
    /// <summary>Takes the decision for <paramref name="request"/> into the request's <paramref name="context"/>, and shows it on its routing span.</summary>
    public static async Task DecideAsync(this IReadRouting routing, ConsistencyContext context, ReadRequest request, CancellationToken cancellationToken)
    {
        context.Request = request;
        context.Decision = await routing.DecideAsync(request, cancellationToken);
        RoutingSpan.Decided(context.Routing, context.Decision, routing.Mode);
    }
}
