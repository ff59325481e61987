using Microsoft.Extensions.Options;
using OrleansRaw.Grains.Replicas;

namespace OrleansRaw.Silo;

/// <summary>Logs, once the host has started, the facts an operator needs to find this silo.</summary>
public sealed partial class StartupReport(
    IConfiguration configuration,
    IOptions<DatabaseOptions> database,
    IHostApplicationLifetime lifetime,
    ILogger<StartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var silo = configuration.GetSection(SiloOptions.SectionName).Get<SiloOptions>() ?? new SiloOptions();
            LogStarted(logger, silo.ClusterId, silo.AdvertisedHost, silo.SiloPort, silo.GatewayPort,
                string.Join(",", database.Value.Replicas.Select(r => r.Name)), Environment.ProcessId);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Silo ready: cluster {ClusterId}, {Host} silo port {SiloPort}, gateway port {GatewayPort}, monitoring replicas {Replicas}, pid {Pid}")]
    private static partial void LogStarted(ILogger logger, string clusterId, string host, int siloPort, int gatewayPort, string replicas, int pid);
}
