namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Creates the layer's meter as the host starts, not at the first read, so the replica gauges are in the first scrape;
/// once every hosted service (an exporter among them) has started, it puts the rare refusals' series at zero, so a
/// dashboard's rate or an alert sees 0 rather than no series until the first refusal.
/// </summary>
internal sealed class MetricsAtStart(ReadYourWritesMetrics metrics, IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(metrics.StartRefusalsAtZero);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
