namespace OrleansRaw.WebApi.Observability;

/// <summary>
/// The API's cheap copy of the replica monitor's snapshot, kept fresh by one long-poll to the monitor (as each silo
/// does), so gauges and alerts read it locally instead of calling the single monitor activation per scrape.
/// Each new snapshot is handed to the alerts, so a crossing is noticed within one poll, with or without scrapes.
/// </summary>
public sealed partial class ApiReplicaSnapshots(
    IGrainFactory grains,
    ReplicaAlerts alerts,
    TimeProvider clock,
    ILogger<ApiReplicaSnapshots> logger) : BackgroundService
{
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(5);

    /// <summary>A copy older than this is not reported: the monitor or the cluster is unreachable.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan ReportFailureAfter = TimeSpan.FromSeconds(5);
    private volatile Received _latest = new(ReplicaSnapshot.Empty, DateTimeOffset.MinValue);

    /// <summary>The latest snapshot, or null when none arrived within <see cref="MaxAge"/>.</summary>
    public ReplicaSnapshot? Current
    {
        get
        {
            var latest = _latest;
            return clock.GetUtcNow() - latest.At <= MaxAge ? latest.Snapshot : null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var monitor = grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster);
        DateTimeOffset? failingSince = null;
        var reported = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var snapshot = await monitor.WaitForSnapshotAsync(_latest.Snapshot.Version, LongPoll).WaitAsync(stoppingToken);
                _latest = new Received(snapshot, clock.GetUtcNow());
                alerts.Evaluate(snapshot);
                if (reported)
                {
                    LogFeedRestored(logger);
                }

                failingSince = null;
                reported = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // At start the Orleans client may still be connecting, and the monitor may be moving to another
                // silo: only a failure that lasts is worth a line.
                failingSince ??= clock.GetUtcNow();
                if (!reported && clock.GetUtcNow() - failingSince >= ReportFailureAfter)
                {
                    LogFeedFailed(logger, ex.GetType().Name, ex.Message);
                    reported = true;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private sealed record Received(ReplicaSnapshot Snapshot, DateTimeOffset At);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica snapshot feed interrupted for 5 s, still retrying: {ErrorType} {Error}")]
    private static partial void LogFeedFailed(ILogger logger, string errorType, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica snapshot feed restored")]
    private static partial void LogFeedRestored(ILogger logger);
}
