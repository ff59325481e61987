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
        services.AddSingleton<ReplicaSnapshotFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<ReplicaSnapshotFeed>());

        var idle = configuration.GetSection(ConsistencyOptions.SectionName).GetValue<TimeSpan?>(nameof(ConsistencyOptions.IdleDeactivation))
            ?? new ConsistencyOptions().IdleDeactivation;
        silo.Configure<GrainCollectionOptions>(o =>
            o.ClassSpecificCollectionAge[typeof(UserConsistencyGrain).FullName!] = idle);
        return silo;
    }
}
