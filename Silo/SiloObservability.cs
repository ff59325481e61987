using System.ComponentModel.DataAnnotations;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OrleansRaw.Grains;

namespace OrleansRaw.Silo;

/// <summary>
/// The silo's Prometheus scrape endpoint, <c>http://127.0.0.1:{SiloMetricsPort}/metrics</c> (OpenTelemetry): Orleans'
/// meter, the .NET runtime's, and the replica figures of <see cref="GrainsTelemetry.MeterName"/>.
/// </summary>
public static class SiloObservability
{
    public const string MetricsPath = "/metrics";

    /// <summary>The meter Orleans 10 publishes its runtime, membership and messaging instruments on.</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>The .NET runtime's own meter (GC, thread pool, exceptions, CPU), built into .NET 9 and later.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    public static IHostApplicationBuilder AddSiloMetrics(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(SiloObservabilityOptions.SectionName).Get<SiloObservabilityOptions>() ?? new SiloObservabilityOptions();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);

        builder.Services.AddOpenTelemetry()
            // The silo's resource, for its metrics and, when they are on, its traces (SiloTracing).
            .ConfigureResource(resource => resource.AddService("orleansraw-silo"))
            .WithMetrics(metrics => metrics
                .AddMeter(OrleansMeterName, RuntimeMeterName, GrainsTelemetry.MeterName)
                // Loopback only: the figures name replicas, and a scraper on this machine (or a sidecar) reaches it.
                .AddPrometheusHttpListener(listener =>
                {
                    listener.Host = "127.0.0.1";
                    listener.Port = options.SiloMetricsPort;
                    listener.ScrapeEndpointPath = MetricsPath;
                    // A scrape every few seconds at most: no need to cache one response for other scrapers.
                    listener.ScrapeResponseCacheDurationMilliseconds = 0;
                }));
        return builder;
    }
}

/// <summary>Where the silo serves its metrics, bound from the <c>Observability</c> section.</summary>
public sealed class SiloObservabilityOptions
{
    public const string SectionName = "Observability";

    /// <summary>The loopback port of this silo's <c>/metrics</c>; every silo on a machine needs its own.</summary>
    [Range(1, 65535)]
    public int SiloMetricsPort { get; set; } = 11180;
}
