using Microsoft.Extensions.Logging;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.Routing;

namespace OrleansRaw.Grains.Users;

/// <summary>
/// The silo's services every user grain uses, behind one reference: a silo holds a grain per active user, and each
/// service a grain kept a reference to cost 8 bytes per user.
/// </summary>
internal sealed class UserGrainServices(
    IPrimaryPosition primary,
    ActivationFloor floor,
    RoutingPolicy policy,
    LeaseHolderReferences holders,
    TimeProvider clock,
    ILogger<UserConsistencyGrain> logger)
{
    public IPrimaryPosition Primary => primary;

    public ActivationFloor Floor => floor;

    public RoutingPolicy Policy => policy;

    public LeaseHolderReferences Holders => holders;

    public TimeProvider Clock => clock;

    public ILogger<UserConsistencyGrain> Logger => logger;

    /// <summary>Always <see cref="ProtocolFlaws.None"/> but in the exploration tests.</summary>
    internal ProtocolFlaws Flaws { get; init; }
}
