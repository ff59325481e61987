namespace OrleansRaw.Grains.Routing;

/// <summary>The policy's answer: a final decision, or "wait for a newer snapshot, at most this long".</summary>
public readonly record struct PolicyResult(RoutingDecision? Decision, TimeSpan WaitFor)
{
    public static PolicyResult Final(RoutingDecision decision) => new(decision, TimeSpan.Zero);

    public static PolicyResult Wait(TimeSpan remaining) => new(null, remaining);
}
