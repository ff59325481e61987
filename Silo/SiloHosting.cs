using System.Net;
using System.Net.Sockets;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Storage;
using OrleansRaw.Grains.Hosting;
using OrleansRaw.Hosting;

namespace OrleansRaw.Silo;

/// <summary>Turns a generic host into an OrleansRaw silo: Redis clustering and grain storage, loopback endpoints, our grains, a metrics endpoint.</summary>
public static partial class SiloHosting
{
    public static IHostApplicationBuilder AddOrleansRawSilo(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var silo = configuration.GetSection(SiloOptions.SectionName).Get<SiloOptions>() ?? new SiloOptions();

        builder.UseOrleans(orleans =>
        {
            orleans.ConfigureEndpoints(ResolveAddress(silo.AdvertisedHost), silo.SiloPort, silo.GatewayPort,
                listenOnAnyHostAddress: silo.ListenOnAnyHostAddress);
            orleans.UseOrleansRawRedisClustering(configuration);
            orleans.Configure<ClusterMembershipOptions>(configuration.GetSection("Orleans:Membership"));
            // Orleans caches grain addresses up to 1,000,000 per silo by default (~165 bytes each), holding on to the
            // addresses of grains long deactivated: with users coming and going that is the silo's largest table. A
            // miss costs a directory lookup, and a user's grain is called about once a lease, so a cache of the grains
            // called in the last moments serves as well (docs/SCALING.md). Orleans:Directory:CacheSize sets it.
            orleans.Configure<GrainDirectoryOptions>(o => o.CacheSize = 10_000);
            orleans.Configure<GrainDirectoryOptions>(configuration.GetSection("Orleans:Directory"));
            orleans.AddOrleansRawGrains(configuration);
            // Grain calls continue the caller's trace (the API's request); no span is created while no tracer listens.
            orleans.AddActivityPropagation();
            // Reports this silo's grain and runtime statistics to the dashboard the API serves at /dashboard.
            if (silo.Dashboard)
            {
                orleans.AddDashboard();
            }
        });

        builder.AddSiloMetrics();
        builder.Services.AddHostedService<StartupReport>();
        builder.AddOrleansRawSiloTracing();
        return builder;
    }

    private static IPAddress ResolveAddress(string host) =>
        IPAddress.TryParse(host, out var address) ? address
        : Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork);
}
