namespace OrleansRaw.Grains;

/// <summary>What a silo's telemetry setup subscribes to for OrleansRaw's figures.</summary>
public static class GrainsTelemetry
{
    /// <summary>
    /// The meter of the silo side (<c>metrics.AddMeter(GrainsTelemetry.MeterName)</c>): each replica's lag and health as
    /// this silo's copy of the replica monitor's snapshot sees them — <c>orleansraw.replica.lag.time</c> (ms),
    /// <c>orleansraw.replica.lag.wal</c> (bytes) and <c>orleansraw.replica.healthy</c> (1 or 0), tagged <c>replica</c>.
    /// </summary>
    public const string MeterName = "OrleansRaw.Grains";
}
