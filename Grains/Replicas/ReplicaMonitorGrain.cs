using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansRaw.Grains.Replicas;

/// <summary>
/// Probes the primary and every replica each poll interval and publishes a versioned snapshot. Silos long-poll it
/// (<see cref="WaitForSnapshotAsync"/>), so a routing decision never calls this single activation itself. It also
/// follows timelines: the cluster's is the highest any node reports, and a standby on another one (left on a dead
/// branch by a crash-failover, or not yet following the promoted node) is unhealthy, whatever its LSN.
/// </summary>
[GrainDirectory(Hosting.SingleActivation.DirectoryName)]
internal sealed partial class ReplicaMonitorGrain(
    DatabaseProbes probes,
    IOptions<ReplicaMonitorOptions> options,
    IOptions<Routing.ConsistencyOptions> consistency,
    TimeProvider clock,
    ILogger<ReplicaMonitorGrain> logger) : Grain, IReplicaMonitorGrain
{
    private readonly ReplicaMonitorOptions _options = options.Value;
    private readonly bool _compareTimelines = consistency.Value.CompareTimelines;
    private readonly LagHistory _history = new(options.Value.LagWindow);
    private readonly Dictionary<string, int> _failures = [];
    private readonly Dictionary<string, uint> _timelines = [];
    private ReplicaSnapshot _snapshot = ReplicaSnapshot.Empty;
    private readonly Guid _epoch = Guid.NewGuid();
    private long _versionBase;
    private long _polls;
    private TaskCompletionSource<ReplicaSnapshot> _next = NewWaiter();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Versions usually keep growing when the monitor re-activates elsewhere; the epoch covers a silo whose clock is behind.
        _versionBase = clock.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        this.RegisterGrainTimer(PollAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = _options.PollInterval,
            Interleave = true,
            KeepAlive = true,
        });
        LogStarted(logger, probes.ReplicaNames.Count, _options.PollInterval.TotalMilliseconds);
        return Task.CompletedTask;
    }

    public Task<ReplicaSnapshot> GetSnapshotAsync() => Task.FromResult(_snapshot);

    public async Task<ReplicaSnapshot> WaitForSnapshotAsync(long afterVersion, TimeSpan maxWait)
    {
        // A caller holding any other number than ours is behind, or numbered by an earlier monitor activation.
        if (_polls > 0 && _snapshot.Version != afterVersion)
        {
            return _snapshot;
        }

        var next = _next.Task;
        var finished = await Task.WhenAny(next, Task.Delay(maxWait, clock));
        return finished == next ? await next : _snapshot;
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        var startedAt = clock.GetUtcNow();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ProbeTimeout);

        // The primary and the replicas at once: while the primary is down its probe can take up to the timeout, and a
        // standby promoted meanwhile must still be seen within a poll.
        var primaryProbe = TryReadPrimaryAsync(timeout.Token, cancellationToken);
        var probed = await Task.WhenAll(probes.ReplicaNames.Select(name => TryProbeAsync(name, timeout.Token)));
        var primary = await primaryProbe;

        // The cluster's timeline first, from every answer of this poll: a standby promoted since the last poll raises
        // it before any client has found the new primary, so the standbys it left behind are dropped at once.
        foreach (var (name, probe, _, _) in probed.Where(p => p.Probe is not null))
        {
            _timelines[name] = ReplicaTimelines.Of(probe!.Value, _timelines.GetValueOrDefault(name));
        }

        var previous = _snapshot.Timeline;
        var timeline = ReplicaTimelines.Cluster(previous, primary?.Timeline ?? 0, _timelines.Values);
        if (timeline != previous && previous != 0)
        {
            // The old timeline's positions say nothing of the new one's lag.
            LogTimelineChanged(logger, previous, timeline);
            _history.ForgetPrimary();
        }

        var primaryLsn = timeline == previous ? _snapshot.PrimaryLsn : Lsn.Zero;
        if (primary is { } reached && reached.Timeline == timeline)
        {
            primaryLsn = reached.Lsn;
            _history.RecordPrimary(startedAt, primaryLsn);
        }

        var replicas = probed.Select(p => p.Probe is { } probe
            ? Judge(p.Name, probe, timeline, primaryLsn, p.SampledAt)
            : Failed(p.Name, p.SampledAt, p.Error!)).ToArray();
        foreach (var replica in replicas.Where(r => r.Healthy))
        {
            _history.RecordLag(startedAt, replica.LagMs);
        }

        Publish(new ReplicaSnapshot(_versionBase + ++_polls, primaryLsn, startedAt, [.. replicas], _history.P99LagMs(), _epoch, timeline));
    }

    private async Task<WalPosition?> TryReadPrimaryAsync(CancellationToken timeout, CancellationToken cancellationToken)
    {
        try
        {
            return (await probes.ReadPrimaryAsync(timeout)).ToWrittenEnd();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogPrimaryProbeFailed(logger, ex.Message);
            return null;
        }
    }

    private async Task<(string Name, ReplicaProbe? Probe, string? Error, DateTimeOffset SampledAt)> TryProbeAsync(string name, CancellationToken cancellationToken)
    {
        var sampledAt = clock.GetUtcNow();
        try
        {
            return (name, await probes.ReadReplicaAsync(name, cancellationToken), null, sampledAt);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || cancellationToken.IsCancellationRequested)
        {
            return (name, null, ex.Message, sampledAt);
        }
    }

    private ReplicaStatus Judge(string name, ReplicaProbe probe, uint clusterTimeline, Lsn primaryLsn, DateTimeOffset sampledAt)
    {
        _failures[name] = 0;
        var previous = Previous(name);
        var replay = probe.ReplayLsn;
        var timeline = _timelines[name];
        if (!probe.InRecovery)
        {
            // Promoted: at once no replica any more (it answered, so this is no missed probe to ride out). Its
            // timeline is the new one, which is how the monitor learns of a promotion before any client does.
            return Track(previous, new ReplicaStatus(name, false, replay, 0, 0, sampledAt, ReplicaErrors.NotInRecovery, 0, timeline));
        }

        var mismatch = _compareTimelines ? ReplicaTimelines.Mismatch(timeline, clusterTimeline) : null;
        if (mismatch is not null)
        {
            // Its replay position may lie past the new timeline's switch point, on WAL the promoted node never had:
            // compared with the new timeline's LSNs it would pass checks for rows it does not hold. No lag applies.
            return Track(previous, new ReplicaStatus(name, false, replay, 0, 0, sampledAt, mismatch, 0, timeline));
        }

        var lagMs = _history.LagMs(replay, sampledAt);
        var healthy = lagMs <= _options.MaxLag.TotalMilliseconds;
        // How soon a new write may be expected there: the delay of the last write it replayed, or its lag if longer.
        var expectedDelayMs = Math.Max(lagMs, _history.ReplayDelayMs(name, replay, sampledAt));
        return Track(previous, new ReplicaStatus(name, healthy, replay, lagMs, primaryLsn.BytesAfter(replay), sampledAt,
            healthy ? null : $"{ReplicaErrors.LagPrefix}{lagMs:F0} ms exceeds {_options.MaxLag.TotalMilliseconds:F0} ms", expectedDelayMs, timeline));
    }

    private ReplicaStatus Failed(string name, DateTimeOffset sampledAt, string error)
    {
        var previous = Previous(name);
        var failures = _failures[name] = _failures.GetValueOrDefault(name) + 1;
        // A few missed probes keep the last known position: the reader's position check still guards every replica read.
        var healthy = previous is { Healthy: true } && failures < _options.FailuresBeforeUnhealthy;
        return Track(previous, new ReplicaStatus(name, healthy, previous?.ReplayLsn ?? Lsn.Zero, previous?.LagMs ?? 0,
            previous?.LagBytes ?? 0, sampledAt, error, previous?.ReplayDelayMs ?? 0, previous?.Timeline ?? 0));
    }

    private ReplicaStatus? Previous(string name) => _snapshot.Replicas.FirstOrDefault(r => r.Name == name);

    private ReplicaStatus Track(ReplicaStatus? previous, ReplicaStatus current)
    {
        if (previous is null || previous.Healthy != current.Healthy)
        {
            // One line per change of state; only turning unhealthy is worth a warning.
            if (current.Healthy)
            {
                LogReplicaHealthy(logger, current.Name, current.ReplayLsn.ToString(), current.LagMs);
            }
            else
            {
                LogReplicaUnhealthy(logger, current.Name, current.ReplayLsn.ToString(), current.LagMs, current.Error ?? "no reason given");
            }
        }

        return current;
    }

    private void Publish(ReplicaSnapshot snapshot)
    {
        _snapshot = snapshot;
        var waiters = _next;
        _next = NewWaiter();
        waiters.TrySetResult(snapshot);
    }

    private static TaskCompletionSource<ReplicaSnapshot> NewWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica monitor started: {ReplicaCount} replicas, polling every {PollMs} ms")]
    private static partial void LogStarted(ILogger logger, int replicaCount, double pollMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {Replica} is now healthy (replay {Lsn}, lag {LagMs:F0} ms)")]
    private static partial void LogReplicaHealthy(ILogger logger, string replica, string lsn, double lagMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica} is now unhealthy (replay {Lsn}, lag {LagMs:F0} ms): {Error}")]
    private static partial void LogReplicaUnhealthy(ILogger logger, string replica, string lsn, double lagMs, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The cluster moved from timeline {Old} to timeline {New}: standbys on another timeline are not used")]
    private static partial void LogTimelineChanged(ILogger logger, uint old, uint @new);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Primary probe failed: {Error}")]
    private static partial void LogPrimaryProbeFailed(ILogger logger, string error);
}
