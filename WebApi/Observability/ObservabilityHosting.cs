using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Orleans.Dashboard;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Routing;
using OrleansRaw.WebApi.Hosting;

namespace OrleansRaw.WebApi.Observability;

/// <summary>
/// Metrics and the Orleans dashboard, wired once: OpenTelemetry with a Prometheus scrape endpoint at <c>/metrics</c>
/// (the layer's meter, Orleans', Npgsql's, ASP.NET Core's) and <c>/dashboard</c>. Alerts are Prometheus rules on
/// these series, not evaluated here.
/// </summary>
public static class ObservabilityHosting
{
    public const string MetricsPath = "/metrics";
    public const string DashboardPath = "/dashboard";

    /// <summary>The authorization policy of endpoints served to operators only (<see cref="EndpointExposure.Operators"/>).</summary>
    public const string OperatorPolicy = "operator";

    /// <summary>The meter Orleans 10 publishes its runtime and messaging instruments on.</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    public static WebApplicationBuilder AddOrleansRawObservability(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ObservabilityOptions>().BindConfiguration(ObservabilityOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<ObservabilityOptions>>((authorization, observability) =>
            authorization.AddPolicy(OperatorPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim("role", observability.Value.OperatorRole)));
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("orleansraw-api"))
            .WithMetrics(metrics => metrics
                .AddMeter(ReadYourWritesTelemetry.MeterName)
                .AddMeter(OrleansMeterName)
                .AddNpgsqlInstrumentation()
                .AddAspNetCoreInstrumentation()
                // A scrape every few seconds at most: no need to cache one response for other scrapers.
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        services.ConfigureOpenTelemetryMeterProvider((provider, metrics) => metrics.AddView(KeepToThisHost(provider.GetRequiredService<IMeterFactory>())));
        builder.AddOrleansRawTracing();
        return builder;
    }

    /// <summary>
    /// The dashboard's client side when the host supplies the Orleans client itself (tests hand in an in-process
    /// cluster's client): the same services <c>IClientBuilder.AddDashboard()</c> adds to a hosted client.
    /// </summary>
    public static IServiceCollection AddDashboardForSuppliedClient(this IServiceCollection services, IConfiguration configuration)
    {
        new SuppliedClientBuilder(services, configuration).AddDashboard();
        return services;
    }

    public static WebApplication MapOrleansRawObservability(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ObservabilityOptions>>().Value;
        Expose(options.MetricsIn(app.Environment), () => app.MapPrometheusScrapingEndpoint(MetricsPath));
        // The benchmark's Direct baseline has no cluster, so no dashboard.
        if (app.Services.GetRequiredService<IGrainFactory>() is not NoClusterGrainFactory)
        {
            Expose(options.DashboardIn(app.Environment), () => app.MapOrleansDashboard(routePrefix: DashboardPath).ExcludeFromDescription());
        }

        return app;
    }

    private static void Expose(EndpointExposure exposure, Func<IEndpointConventionBuilder> map)
    {
        switch (exposure)
        {
            case EndpointExposure.Open:
                map();
                break;
            case EndpointExposure.Operators:
                map().RequireAuthorization(OperatorPolicy);
                break;
        }
    }

    // A meter made by a host's IMeterFactory carries that factory as its scope, but a provider listens by meter name:
    // with several hosts in one process (the tests' API servers) each would count the others' reads, and lose them
    // when another host stops. Each provider keeps to the per-host meters of its own host.
    private static Func<Instrument, MetricStreamConfiguration?> KeepToThisHost(IMeterFactory own) => instrument =>
        instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, own)
        && (instrument.Meter.Name == ReadYourWritesTelemetry.MeterName || instrument.Meter.Name.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal))
            ? MetricStreamConfiguration.Drop
            : null;

    private sealed class SuppliedClientBuilder(IServiceCollection services, IConfiguration configuration) : IClientBuilder
    {
        public IServiceCollection Services => services;

        public IConfiguration Configuration => configuration;
    }
}
