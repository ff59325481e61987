using Microsoft.Extensions.Logging;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.Routing;

namespace OrleansRaw.Grains.Users;

/// <summary>
/// The silo's services every user grain uses, behind one reference: a silo holds a grain per active user, and each
/// service a grain kept a reference to cost 8 bytes per user.
/// </summary>
public sealed class UserGrainServices(
    ReplicaSnapshotFeed snapshots,
    PrimaryPosition primary,
    RoutingPolicy policy,
    LeaseHolderReferences holders,
    TimeProvider clock,
    ILogger<UserConsistencyGrain> logger)
{
    public ReplicaSnapshotFeed Snapshots => snapshots;

    public PrimaryPosition Primary => primary;

    public RoutingPolicy Policy => policy;

    public LeaseHolderReferences Holders => holders;

    public TimeProvider Clock => clock;

    public ILogger<UserConsistencyGrain> Logger => logger;
}
