using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansRaw.Routing;

namespace OrleansRaw.Silo;

/// <summary>Logs, once the host has started, the facts an operator needs to find this silo.</summary>
public sealed partial class StartupReport(
    IConfiguration configuration,
    IOptions<ClusterOptions> cluster,
    IOptions<DatabaseOptions> database,
    IOptions<ClusterMembershipOptions> membership,
    IHostEnvironment environment,
    IHostApplicationLifetime lifetime,
    ILogger<StartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var m = membership.Value;
            LogMembership(logger, environment.EnvironmentName, m.ProbeTimeout, m.NumMissedProbesLimit, m.NumVotesForDeathDeclaration,
                m.ProbeTimeout * m.NumMissedProbesLimit);
            var silo = configuration.GetSection(SiloOptions.SectionName).Get<SiloOptions>() ?? new SiloOptions();
            LogStarted(logger, cluster.Value.ClusterId, silo.AdvertisedHost, silo.SiloPort, silo.GatewayPort,
                string.Join(",", database.Value.Replicas.Select(r => r.Name)), Environment.ProcessId);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Silo ready: cluster {ClusterId}, {Host} silo port {SiloPort}, gateway port {GatewayPort}, monitoring replicas {Replicas}, pid {Pid}")]
    private static partial void LogStarted(ILogger logger, string clusterId, string host, int siloPort, int gatewayPort, string replicas, int pid);

    // Which failure detection this silo runs with: the fast development settings declare a silo dead after ~2 s
    // without answers, which a long GC pause in production could reach.
    [LoggerMessage(Level = LogLevel.Information,
        Message = "Membership ({Environment}): probe timeout {ProbeTimeout}, {MissedProbes} missed probes, {Votes} votes to declare a silo dead (unanswered for at least {Unanswered})")]
    private static partial void LogMembership(ILogger logger, string environment, TimeSpan probeTimeout, int missedProbes, int votes, TimeSpan unanswered);
}
