using Npgsql;
using OpenTelemetry.Trace;
using Orleans.Diagnostics;
using OrleansRaw.ReadYourWrites;

namespace OrleansRaw.WebApi.Observability;

/// <summary>
/// Traces (OpenTelemetry), one per request from HTTP to the database: ASP.NET Core's server span, the routing span
/// (<see cref="RoutingSpan"/>), the Orleans grain calls (on the silos too, which continue the trace), and Npgsql's
/// commands. Exported with OTLP to the collector <see cref="OtlpEndpointVariable"/> names; without it nothing listens,
/// so no span is even created.
/// </summary>
public static class TracingHosting
{
    /// <summary>The standard OpenTelemetry variable naming the collector, e.g. <c>http://127.0.0.1:4317</c> (the other <c>OTEL_EXPORTER_OTLP_*</c> variables apply too).</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Records traces with no exporter, for a host that adds one of its own (the tests' in-memory exporter).</summary>
    public const string TracingSetting = "Observability:Tracing";

    public static WebApplicationBuilder AddOrleansRawTracing(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        if (!otlp && !builder.Configuration.GetValue<bool>(TracingSetting))
        {
            return builder;
        }

        builder.Services.AddOpenTelemetry().WithTracing(tracing =>
        {
            tracing
                .SetSampler(new ParentBasedSampler(new RequestRootSampler()))
                .AddSource(ReadYourWritesTelemetry.ActivitySourceName)
                .AddSource(ActivitySources.ApplicationGrainActivitySourceName, ActivitySources.RuntimeActivitySourceName, ActivitySources.LifecycleActivitySourceName)
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = IsTraced)
                .AddNpgsql();
            if (otlp)
            {
                tracing.AddOtlpExporter();
            }
        });
        return builder;
    }

    // Scrapes, probes and the dashboard's polling say nothing about a read: no trace for them.
    private static bool IsTraced(HttpContext http) =>
        !(http.Request.Path.StartsWithSegments(ObservabilityHosting.MetricsPath)
          || http.Request.Path.StartsWithSegments("/health")
          || http.Request.Path.StartsWithSegments(ObservabilityHosting.DashboardPath));
}
