using Npgsql;
using OpenTelemetry.Trace;
using Orleans.Diagnostics;

namespace OrleansRaw.Silo;

/// <summary>
/// A silo's part of the API's traces: the grain calls it serves and makes, and the database commands it runs for them,
/// exported with OTLP when <see cref="OtlpEndpointVariable"/> names a collector (nothing listens otherwise). A silo starts
/// no trace of its own: the monitor's probes and the grains' timers would send several a second and explain no request.
/// </summary>
public static class SiloTracing
{
    /// <summary>The standard OpenTelemetry variable naming the collector, e.g. <c>http://127.0.0.1:4317</c>.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IHostApplicationBuilder AddOrleansRawSiloTracing(this IHostApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]))
        {
            return builder;
        }

        // The service resource ("orleansraw-silo") is set once, with the metrics, in SiloObservability.
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new AlwaysOffSampler()))
                .AddSource(ActivitySources.ApplicationGrainActivitySourceName, ActivitySources.RuntimeActivitySourceName, ActivitySources.LifecycleActivitySourceName)
                .AddNpgsql()
                .AddOtlpExporter());
        return builder;
    }
}
