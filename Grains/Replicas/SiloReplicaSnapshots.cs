using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrleansRaw.Grains.Replicas;

/// <summary>
/// This silo's copy of the replica snapshot, kept fresh by one long-poll to the monitor, so that routing decisions
/// on this silo read it locally and a waiting decision is woken by the next snapshot.
/// </summary>
public sealed partial class SiloReplicaSnapshots(IGrainFactory grains, ILogger<SiloReplicaSnapshots> logger) : BackgroundService
{
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(5);
    private volatile ReplicaSnapshot _current = ReplicaSnapshot.Empty;
    private TaskCompletionSource<ReplicaSnapshot> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();

    /// <summary>The latest snapshot this silo has.</summary>
    public ReplicaSnapshot Current => _current;

    /// <summary>The first snapshot newer than <paramref name="version"/>, or the current one after <paramref name="maxWait"/>.</summary>
    public async Task<ReplicaSnapshot> WaitForNewerAsync(long version, TimeSpan maxWait)
    {
        Task<ReplicaSnapshot> next;
        lock (_gate)
        {
            if (_current.Version > version)
            {
                return _current;
            }

            next = _next.Task;
        }

        try
        {
            return await next.WaitAsync(maxWait);
        }
        catch (TimeoutException)
        {
            return _current;
        }
    }

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

    internal void Publish(ReplicaSnapshot snapshot)
    {
        TaskCompletionSource<ReplicaSnapshot> waiters;
        lock (_gate)
        {
            // A new monitor activation (new epoch) numbers afresh: take its first snapshot whatever its number.
            if (snapshot.Epoch == _current.Epoch && snapshot.Version <= _current.Version)
            {
                return;
            }

            _current = snapshot;
            waiters = _next;
            _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        waiters.TrySetResult(snapshot);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica snapshot feed interrupted, retrying: {Error}")]
    private static partial void LogFeedFailed(ILogger logger, string error);
}
