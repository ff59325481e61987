using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using OrleansRaw.Routing;

namespace OrleansRaw.Grains.Observability;

/// <summary>
/// Each replica's lag and health from this silo's copy of the replica monitor's snapshot, on the meter
/// <see cref="GrainsTelemetry.MeterName"/>, under the same names the API exports from its copy. A hosted service only
/// so that it is created when the silo starts, before the first scrape.
/// </summary>
internal sealed class ReplicaMetrics : IHostedService
{
    public ReplicaMetrics(IMeterFactory meters, ReplicaSnapshotFeed snapshots) =>
        ReplicaGauges.AddTo(meters.Create(GrainsTelemetry.MeterName), snapshots);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
