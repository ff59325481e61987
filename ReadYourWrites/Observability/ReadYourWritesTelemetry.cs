namespace OrleansRaw.ReadYourWrites;

/// <summary>What an app's telemetry setup subscribes to for the layer's figures and spans.</summary>
public static class ReadYourWritesTelemetry
{
    /// <summary>
    /// The request side's meter (<c>metrics.AddMeter(ReadYourWritesTelemetry.MeterName)</c>): where reads ran and why,
    /// writes, routing latency and waits, fallbacks, refused critical reads, reader leases, and each replica's lag and
    /// health from this process's copy of the monitor's snapshot (docs/OBSERVABILITY.md lists them).
    /// </summary>
    public const string MeterName = "OrleansRaw.ReadYourWrites";

    /// <summary>
    /// The activity source of the routing span (<c>tracing.AddSource(ReadYourWritesTelemetry.ActivitySourceName)</c>):
    /// one span per routed read, from the decision to the response, with the grain call and the read's database commands
    /// as its children.
    /// </summary>
    public const string ActivitySourceName = "OrleansRaw.ReadYourWrites";

    /// <summary>The routing span's name, for a sampler that keeps it.</summary>
    public const string RoutingSpanName = "orleansraw.routing";
}
