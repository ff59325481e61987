namespace OrleansRaw;

/// <summary>Routes reads that carry no user's consistency state (anonymous readers); one per silo, stateless. Key: always 0.</summary>
[Alias("OrleansRaw.IReadRouterGrain")]
public interface IReadRouterGrain : IGrainWithIntegerKey
{
    /// <summary>Decides where a read that needs no read-your-writes runs.</summary>
    [Alias("RouteReadAsync")]
    Task<RoutingDecision> RouteReadAsync(ReadRequest request);
}
