namespace OrleansRaw.ReadYourWrites;

/// <summary>Creates the layer's meter as the host starts, not at the first read, so the replica gauges are in the first scrape.</summary>
internal sealed class MetricsAtStart(ReadYourWritesMetrics metrics) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(metrics);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
