using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansRaw.Routing;

/// <summary>
/// This process's copy of the replica monitor's snapshot — on each silo and each API server — kept fresh by one
/// long-poll to the monitor, so that routing decisions and gauges read it locally instead of calling the
/// single monitor activation. Nothing waits for it: a decision uses whatever snapshot is current.
/// </summary>
internal sealed partial class ReplicaSnapshotFeed(
    IGrainFactory grains,
    TimeProvider clock,
    ILogger<ReplicaSnapshotFeed> logger) : BackgroundService
{
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CallMargin = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReportFailureAfter = TimeSpan.FromSeconds(5);

    /// <summary>A copy older than this is not <see cref="Fresh"/>: the monitor or the cluster is unreachable.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(15);

    private volatile Received _latest = new(ReplicaSnapshot.Empty, DateTimeOffset.MinValue);

    /// <summary>The latest snapshot this process has (empty before the first).</summary>
    public ReplicaSnapshot Current => _latest.Snapshot;

    /// <summary>The latest snapshot, or null when none arrived within <see cref="MaxAge"/>.</summary>
    public ReplicaSnapshot? Fresh
    {
        get
        {
            var latest = _latest;
            return clock.GetUtcNow() - latest.At <= MaxAge ? latest.Snapshot : null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IReplicaMonitorGrain? monitor = null;
        DateTimeOffset? failingSince = null;
        var reported = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Taken inside the loop: until the host's Orleans client has connected, not even a reference can be made.
                monitor ??= grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster);
                // A deadline of its own: a call to a monitor whose silo died would otherwise wait for Orleans' response
                // timeout (30 s), while the monitor is already active again elsewhere.
                Publish(await monitor.WaitForSnapshotAsync(_latest.Snapshot.Version, LongPoll).WaitAsync(LongPoll + CallMargin, clock, stoppingToken));
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
            catch (Exception ex) when (ex.Message.Contains("Could not find an implementation for interface", StringComparison.Ordinal))
            {
                // Not transient: the cluster this process reached has no silo that registered our grains.
                if (!reported)
                {
                    LogGrainsMissing(logger, ex.Message);
                    reported = true;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
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

                await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    // Only the feed loop above publishes, so a plain compare-and-assign is enough.
    private void Publish(ReplicaSnapshot snapshot)
    {
        // A new monitor activation (new epoch) numbers afresh: take its first snapshot whatever its number. The time
        // is refreshed either way: an unchanged snapshot after a long poll is still the monitor's word.
        var current = _latest.Snapshot;
        var newer = snapshot.Epoch != current.Epoch || snapshot.Version > current.Version;
        _latest = new Received(newer ? snapshot : current, clock.GetUtcNow());
    }

    private sealed record Received(ReplicaSnapshot Snapshot, DateTimeOffset At);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica snapshot feed interrupted for 5 s, still retrying: {ErrorType} {Error}")]
    private static partial void LogFeedFailed(ILogger logger, string errorType, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The Orleans cluster runs no OrleansRaw grains ({Error}): call "
        + "siloBuilder.AddOrleansRawGrains(configuration) on every silo (package OrleansRaw.Grains), and check that this "
        + "app and the silos name the same Orleans:ClusterId and Orleans:ServiceId. Every read goes to the primary meanwhile")]
    private static partial void LogGrainsMissing(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica snapshot feed restored")]
    private static partial void LogFeedRestored(ILogger logger);
}
