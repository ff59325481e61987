using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansRaw.Grains.Replicas;

/// <summary>
/// Probes the primary and every replica each poll interval and publishes a versioned snapshot. Silos long-poll it
/// (<see cref="WaitForSnapshotAsync"/>), so a routing decision never calls this single activation itself.
/// </summary>
public sealed partial class ReplicaMonitorGrain(
    DatabaseProbes probes,
    IOptions<ReplicaMonitorOptions> options,
    TimeProvider clock,
    ILogger<ReplicaMonitorGrain> logger) : Grain, IReplicaMonitorGrain
{
    private readonly ReplicaMonitorOptions _options = options.Value;
    private readonly LagHistory _history = new(options.Value.LagWindow);
    private readonly Dictionary<string, int> _failures = [];
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

        var primaryLsn = _snapshot.PrimaryLsn;
        try
        {
            primaryLsn = (await probes.ReadPrimaryLsnAsync(timeout.Token)).ToWrittenEnd();
            _history.RecordPrimary(startedAt, primaryLsn);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogPrimaryProbeFailed(logger, ex.Message);
        }

        var replicas = await Task.WhenAll(probes.ReplicaNames.Select(name => ProbeAsync(name, primaryLsn, timeout.Token)));
        foreach (var replica in replicas.Where(r => r.Healthy))
        {
            _history.RecordLag(startedAt, replica.LagMs);
        }

        Publish(new ReplicaSnapshot(_versionBase + ++_polls, primaryLsn, startedAt, [.. replicas], _history.P99LagMs(), _epoch));
    }

    private async Task<ReplicaStatus> ProbeAsync(string name, Lsn primaryLsn, CancellationToken cancellationToken)
    {
        var previous = _snapshot.Replicas.FirstOrDefault(r => r.Name == name);
        var sampledAt = clock.GetUtcNow();
        try
        {
            var (inRecovery, replay) = await probes.ReadReplicaAsync(name, cancellationToken);
            if (!inRecovery)
            {
                return Failed(name, previous, sampledAt, ReplicaErrors.NotInRecovery);
            }

            _failures[name] = 0;
            var lagMs = _history.LagMs(replay, sampledAt);
            var healthy = lagMs <= _options.MaxLag.TotalMilliseconds;
            // How soon a new write may be expected there: the delay of the last write it replayed, or its lag if longer.
            var expectedDelayMs = Math.Max(lagMs, _history.ReplayDelayMs(name, replay, sampledAt));
            return Track(previous, new ReplicaStatus(name, healthy, replay, lagMs, primaryLsn.BytesAfter(replay), sampledAt,
                healthy ? null : $"{ReplicaErrors.LagPrefix}{lagMs:F0} ms exceeds {_options.MaxLag.TotalMilliseconds:F0} ms", expectedDelayMs));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || cancellationToken.IsCancellationRequested)
        {
            return Failed(name, previous, sampledAt, ex.Message);
        }
    }

    private ReplicaStatus Failed(string name, ReplicaStatus? previous, DateTimeOffset sampledAt, string error)
    {
        var failures = _failures[name] = _failures.GetValueOrDefault(name) + 1;
        // A few missed probes keep the last known position: the reader's position check still guards every replica read.
        var healthy = previous is { Healthy: true } && failures < _options.FailuresBeforeUnhealthy;
        return Track(previous, new ReplicaStatus(name, healthy, previous?.ReplayLsn ?? Lsn.Zero, previous?.LagMs ?? 0,
            previous?.LagBytes ?? 0, sampledAt, error, previous?.ReplayDelayMs ?? 0));
    }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Primary probe failed: {Error}")]
    private static partial void LogPrimaryProbeFailed(ILogger logger, string error);
}
