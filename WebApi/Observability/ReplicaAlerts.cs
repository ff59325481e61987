using Microsoft.Extensions.Options;
using OrleansRaw.Routing;

namespace OrleansRaw.WebApi.Observability;

/// <summary>
/// The alert state: which replicas lag beyond <see cref="AlertOptions.MaxReplicaLag"/> and whether the primary's
/// read share exceeds <see cref="AlertOptions.MaxPrimaryReadShare"/>. Every crossing, into or out of an alert, is
/// logged exactly once; readiness reads the state without changing it.
/// </summary>
public sealed partial class ReplicaAlerts(
    IOptions<AlertOptions> options,
    ReadShareWindow reads,
    TimeProvider clock,
    ILogger<ReplicaAlerts> logger) : IReplicaSnapshotSubscriber
{
    private readonly AlertOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Condition> _replicas = new(StringComparer.Ordinal);
    private readonly Condition _share = new();
    private ReplicaSnapshot _snapshot = ReplicaSnapshot.Empty;

    public AlertOptions Options => _options;

    /// <summary>The state now: the lag alerts as of the latest snapshot, the read share as of this moment.</summary>
    public AlertState Current
    {
        get
        {
            lock (_gate)
            {
                return Update(_snapshot, replicas: false);
            }
        }
    }

    void IReplicaSnapshotSubscriber.OnSnapshot(ReplicaSnapshot snapshot) => Evaluate(snapshot);

    /// <summary>Takes in a new snapshot (older ones are ignored) and logs any crossing it causes.</summary>
    public AlertState Evaluate(ReplicaSnapshot snapshot)
    {
        lock (_gate)
        {
            var newer = snapshot.Version > _snapshot.Version;
            if (newer)
            {
                _snapshot = snapshot;
            }

            return Update(_snapshot, replicas: newer);
        }
    }

    private AlertState Update(ReplicaSnapshot snapshot, bool replicas)
    {
        var now = clock.GetUtcNow();
        var maxLagMs = _options.MaxReplicaLag.TotalMilliseconds;
        var lagging = new List<ReplicaAlert>();
        foreach (var replica in snapshot.Replicas)
        {
            if (!_replicas.TryGetValue(replica.Name, out var condition))
            {
                _replicas[replica.Name] = condition = new Condition();
            }

            if (replicas)
            {
                var over = !replica.Healthy || replica.LagMs > maxLagMs;
                switch (condition.Update(over, replica.LagMs, now, _options.ClearAfter))
                {
                    case Crossing.Raised:
                        LogReplicaLagRaised(logger, replica.Name, replica.LagMs, maxLagMs, replica.Healthy, replica.Error ?? "ok");
                        break;
                    case Crossing.Cleared:
                        LogReplicaLagCleared(logger, replica.Name, replica.LagMs, maxLagMs, condition.LastDuration.TotalSeconds, condition.Peak);
                        break;
                }
            }

            if (condition.Active)
            {
                lagging.Add(new ReplicaAlert(replica.Name, replica.LagMs, condition.Peak, replica.Healthy, replica.Error));
            }
        }

        var share = reads.Current();
        var shareOver = share.Reads >= _options.MinReadsForPrimaryShare && share.PrimaryShare > _options.MaxPrimaryReadShare;
        switch (_share.Update(shareOver, share.PrimaryShare, now, _options.ClearAfter))
        {
            case Crossing.Raised:
                LogPrimaryShareRaised(logger, share.PrimaryShare, share.Reads, share.Window.TotalSeconds, _options.MaxPrimaryReadShare);
                break;
            case Crossing.Cleared:
                LogPrimaryShareCleared(logger, share.PrimaryShare, share.Reads, share.Window.TotalSeconds, _options.MaxPrimaryReadShare, _share.LastDuration.TotalSeconds);
                break;
        }

        return new AlertState(lagging, share, _share.Active);
    }

    private enum Crossing
    {
        None,
        Raised,
        Cleared,
    }

    /// <summary>One alert's condition: raised at once, cleared once the figure stayed within its limit for a while.</summary>
    private sealed class Condition
    {
        private DateTimeOffset _raisedAt;
        private DateTimeOffset? _withinSince;

        public bool Active { get; private set; }

        /// <summary>The worst figure seen while active.</summary>
        public double Peak { get; private set; }

        /// <summary>How long the last cleared alert lasted.</summary>
        public TimeSpan LastDuration { get; private set; }

        public Crossing Update(bool over, double value, DateTimeOffset now, TimeSpan clearAfter)
        {
            if (over)
            {
                _withinSince = null;
                Peak = Active ? Math.Max(Peak, value) : value;
                if (Active)
                {
                    return Crossing.None;
                }

                Active = true;
                _raisedAt = now;
                return Crossing.Raised;
            }

            if (!Active)
            {
                return Crossing.None;
            }

            _withinSince ??= now;
            if (now - _withinSince < clearAfter)
            {
                return Crossing.None;
            }

            Active = false;
            _withinSince = null;
            LastDuration = now - _raisedAt;
            return Crossing.Cleared;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Alert raised: replica {Replica} lags {LagMs:F0} ms, over the {MaxLagMs:F0} ms limit (healthy {Healthy}: {Error})")]
    private static partial void LogReplicaLagRaised(ILogger logger, string replica, double lagMs, double maxLagMs, bool healthy, string error);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Alert cleared: replica {Replica} lags {LagMs:F0} ms, within the {MaxLagMs:F0} ms limit again after {AlertSeconds:F1} s (peak {PeakLagMs:F0} ms)")]
    private static partial void LogReplicaLagCleared(ILogger logger, string replica, double lagMs, double maxLagMs, double alertSeconds, double peakLagMs);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Alert raised: the primary served {PrimaryShare:P1} of {Reads} reads in the last {WindowSeconds:F0} s, over the {MaxShare:P0} limit")]
    private static partial void LogPrimaryShareRaised(ILogger logger, double primaryShare, long reads, double windowSeconds, double maxShare);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Alert cleared: the primary served {PrimaryShare:P1} of {Reads} reads in the last {WindowSeconds:F0} s, within the {MaxShare:P0} limit again after {AlertSeconds:F1} s")]
    private static partial void LogPrimaryShareCleared(ILogger logger, double primaryShare, long reads, double windowSeconds, double maxShare, double alertSeconds);
}

/// <summary>A replica in alert: its lag now and its worst lag since the alert was raised.</summary>
public sealed record ReplicaAlert(string Replica, double LagMs, double PeakLagMs, bool Healthy, string? Error);

/// <summary>The alerts in force.</summary>
public sealed record AlertState(IReadOnlyList<ReplicaAlert> LaggingReplicas, ReadShare Reads, bool PrimaryShareHigh);
