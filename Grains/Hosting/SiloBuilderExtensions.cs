using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.GrainDirectory;
using OrleansRaw.Grains.Observability;
using OrleansRaw.Grains.Replicas;
using OrleansRaw.Routing;
using OrleansRaw.Grains.Users;

namespace OrleansRaw.Grains.Hosting;

/// <summary>Registers what the grains need on a silo; clustering and the storage provider are the host's choice.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>Registers the user grains and the replica monitor, their options and services, on this silo.</summary>
    /// <remarks>
    /// It also adds Orleans' strongly consistent (distributed) grain directory, under the name "orleansraw", for these
    /// grains alone; every silo of the cluster must call it. A later <c>AddDistributedGrainDirectory()</c> on the same
    /// silo has no effect (Orleans adds that directory once), and an earlier one fails here.
    /// </remarks>
    public static ISiloBuilder AddOrleansRawGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        var services = silo.Services;
        // The same ids a client on these settings uses (UseOrleansRawClient, or Orleans' own reading of the section):
        // only those configured, else Orleans' defaults on both sides.
        var cluster = configuration.ClusterConnection();
        silo.Configure<ClusterOptions>(cluster.ApplyTo);
        services.AddConsistencyOptions(configuration)
            // A grain that moves after its silo died must not meet a lease its old activation granted: every such lease
            // ends before membership can declare the silo dead, with room for the two machines' clocks to drift.
            .Validate<IOptions<ClusterMembershipOptions>>((o, membership) =>
                o.ReaderLease * 2 <= membership.Value.ProbeTimeout * membership.Value.NumMissedProbesLimit,
                "Consistency:ReaderLease must be at most half of Orleans:Membership ProbeTimeout × NumMissedProbesLimit");
        services.AddSettings<ReplicaMonitorOptions>(configuration, ReplicaMonitorOptions.SectionName, out _);
        services.AddDatabaseOptions(configuration);

        // TryAdd: a web app that is also a silo registers these on the request side too.
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new RoutingPolicy(sp.GetRequiredService<IOptions<ConsistencyOptions>>().Value));
        services.AddSingleton(sp => new DatabaseProbes(sp.GetRequiredService<IOptions<DatabaseOptions>>(), sp));
        services.AddSingleton<PrimaryPosition>();
        services.AddSingleton<IPrimaryPosition>(sp => sp.GetRequiredService<PrimaryPosition>());
        services.AddSingleton<ActivationFloor>();
        services.AddHostedService<ActivationFloorFeed>();
        services.AddSingleton<LeaseHolderReferences>();
        services.TryAddSingleton<ReplicaSnapshotFeed>();
        services.AddSingleton<UserGrainServices>();
        services.AddHostedService(sp => sp.GetRequiredService<ReplicaSnapshotFeed>());
        services.AddHostedService<ReplicaMetrics>();

        // One activation per user, enforced: Orleans' default directory is eventually consistent and can let two silos
        // each activate a user's grain while membership settles; each would grant leases, and a write acknowledged
        // through one would revoke nothing the other lent. The distributed directory registers an activation only
        // with the partition that owns its id in the current membership view, so it never holds two (a silo declared
        // dead while it still runs, paused, serves its old activation until it learns it is dead: docs/SCALING.md).
        // It is a *named* directory, on our two grain classes ([GrainDirectory] on the user grain, and on the replica
        // monitor, a singleton that a duplicate would run twice): a host's own grains, and whatever default directory
        // the host chose, stay as they are. Every silo of a cluster must register it (README, "Use it in your app").
#pragma warning disable ORLEANSEXP003 // experimental in Orleans 10: we accept its API may change with Orleans
        silo.AddDistributedGrainDirectory(SingleActivation.DirectoryName);
#pragma warning restore ORLEANSEXP003
        // Orleans registers that directory under the first name it is added with; a host that added it earlier as
        // its default would leave our grains pointing at a directory that does not exist until their first call.
        if (!services.Any(d => d.IsKeyedService && d.ServiceType == typeof(IGrainDirectory)
                && Equals(d.ServiceKey, SingleActivation.DirectoryName)))
        {
            throw new InvalidOperationException(
                "The silo added Orleans' distributed grain directory before AddOrleansRawGrains, and Orleans registers it "
                + $"under one name only, so OrleansRaw's grains would find no \"{SingleActivation.DirectoryName}\" directory: "
                + "remove the host's AddDistributedGrainDirectory() call (AddOrleansRawGrains adds the directory), and put "
                + $"[GrainDirectory(\"{SingleActivation.DirectoryName}\")] on the host's grains that should use it.");
        }

        // A silo declared dead keeps its grains' ids held in the directory until Orleans' estimate of the moment it
        // failed (the declaration less MaxProbeTimeout × NumMissedProbesLimit) plus RangeLeaseDuration: no new
        // activation before then. Orleans' 30 s default held a killed silo's users for 22 s with the Development
        // membership settings (1 s probes) and not at all with its own defaults (20 s × 3 > 30 s). We hold them two
        // reader leases past the declaration, whatever membership declares: every lease the lost activation granted
        // has ended, with room for clock drift, before its successor can grant one — even when Orleans' adaptive
        // probes declare a silo dead sooner than ProbeTimeout × NumMissedProbesLimit. The distributed directory is
        // the only one that reads this setting, and Orleans lets a silo have it under one name only: ours.
        services.AddOptions<GrainDirectoryOptions>()
            .Configure<IOptions<ClusterMembershipOptions>, IOptions<ConsistencyOptions>>((directory, membership, consistency) =>
                directory.RangeLeaseDuration = membership.Value.MaxProbeTimeout * membership.Value.NumMissedProbesLimit
                    + consistency.Value.ReaderLease * 2);

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
