using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.Routing;
using OrleansRaw.Grains.Users;

namespace OrleansRaw.Grains.Hosting;

/// <summary>Registers what the grains need on a silo; clustering and the storage provider are the host's choice.</summary>
public static class SiloBuilderExtensions
{
    public static ISiloBuilder AddOrleansRawGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        var services = silo.Services;
        services.AddConsistencyOptions(configuration)
            // A grain that moves after its silo died must not meet a lease its old activation granted: every such lease
            // ends before membership can declare the silo dead, with room for the two machines' clocks to drift.
            .Validate<IOptions<ClusterMembershipOptions>>((o, membership) =>
                o.ReaderLease * 2 <= membership.Value.ProbeTimeout * membership.Value.NumMissedProbesLimit,
                "Consistency:ReaderLease must be at most half of Orleans:Membership ProbeTimeout × NumMissedProbesLimit");
        services.AddOptions<ReplicaMonitorOptions>().Bind(configuration.GetSection(ReplicaMonitorOptions.SectionName))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddDatabaseOptions(configuration);

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new RoutingPolicy(sp.GetRequiredService<IOptions<ConsistencyOptions>>().Value));
        services.AddSingleton<DatabaseProbes>();
        services.AddSingleton<PrimaryPosition>();
        services.AddSingleton<IPrimaryPosition>(sp => sp.GetRequiredService<PrimaryPosition>());
        services.AddSingleton<ActivationFloor>();
        services.AddHostedService<ActivationFloorFeed>();
        services.AddSingleton<LeaseHolderReferences>();
        services.AddSingleton<ReplicaSnapshotFeed>();
        services.AddSingleton<UserGrainServices>();
        services.AddHostedService(sp => sp.GetRequiredService<ReplicaSnapshotFeed>());

        // A user's grain holds nothing that must outlive it, so it leaves memory once it has had no call for
        // Consistency:IdleDeactivation. Orleans looks for idle activations once a collection quantum (1 min by default)
        // and refuses to start when a collection age is not longer than the quantum: a shorter idle time shortens the
        // quantum to half of it, so a grain goes between one and one and a half idle times after its last call.
        services.AddOptions<GrainCollectionOptions>().Configure<IOptions<ConsistencyOptions>>((collection, consistency) =>
        {
            var idle = consistency.Value.IdleDeactivation;
            collection.ClassSpecificCollectionAge[typeof(UserConsistencyGrain).FullName!] = idle;
            if (collection.CollectionQuantum * 2 > idle)
            {
                collection.CollectionQuantum = idle / 2;
            }
        });
        return silo;
    }
}
