using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansRaw.Grains.Replicas;

/// <summary>
/// This silo's copy of the replica snapshot, kept fresh by one long-poll to the monitor, so that routing decisions
/// on this silo read it locally. Nothing waits for it: a decision uses whatever snapshot is current.
/// </summary>
public sealed partial class SiloReplicaSnapshots(IGrainFactory grains, ILogger<SiloReplicaSnapshots> logger) : BackgroundService
{
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(5);
    private volatile ReplicaSnapshot _current = ReplicaSnapshot.Empty;

    /// <summary>The latest snapshot this silo has.</summary>
    public ReplicaSnapshot Current => _current;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var monitor = grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster);
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var snapshot = await monitor.WaitForSnapshotAsync(_current.Version, LongPoll).WaitAsync(stoppingToken);
                Publish(snapshot);
                failing = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (!failing)
                {
                    LogFeedFailed(logger, ex.Message);
                    failing = true;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    // Only the feed loop above publishes, so a plain compare-and-assign is enough.
    private void Publish(ReplicaSnapshot snapshot)
    {
        // A new monitor activation (new epoch) numbers afresh: take its first snapshot whatever its number.
        if (snapshot.Epoch != _current.Epoch || snapshot.Version > _current.Version)
        {
            _current = snapshot;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica snapshot feed interrupted, retrying: {Error}")]
    private static partial void LogFeedFailed(ILogger logger, string error);
}
