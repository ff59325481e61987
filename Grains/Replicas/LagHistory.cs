namespace OrleansRaw.Grains.Replicas;

/// <summary>
/// Recent primary positions with the time each was seen, and recent lag samples. A replica's lag is how long ago
/// the primary first went past the replica's replay position: measured on the monitor's own clock, so no two
/// machines' clocks are compared.
/// </summary>
internal sealed class LagHistory(TimeSpan window)
{
    private readonly Queue<(DateTimeOffset At, Lsn Lsn)> _primary = new();
    private readonly Queue<(DateTimeOffset At, double LagMs)> _lags = new();
    private readonly Dictionary<string, Lsn> _lastReplay = [];
    private readonly Dictionary<string, double> _replayDelays = [];

    public void RecordPrimary(DateTimeOffset at, Lsn lsn)
    {
        _primary.Enqueue((at, lsn));
        while (_primary.Count > 1 && at - _primary.Peek().At > window)
        {
            _primary.Dequeue();
        }
    }

    /// <summary>Drops the primary positions seen so far: after a timeline change they are positions of another history.</summary>
    public void ForgetPrimary() => _primary.Clear();

    /// <summary>Milliseconds since the primary first passed <paramref name="replay"/> (0 when the replica is level).</summary>
    public double LagMs(Lsn replay, DateTimeOffset now)
    {
        DateTimeOffset? firstAhead = null;
        foreach (var (at, lsn) in _primary)
        {
            if (lsn > replay)
            {
                firstAhead = at;
                break;
            }
        }

        return firstAhead is { } t ? Math.Max(0, (now - t).TotalMilliseconds) : 0;
    }

    public void RecordLag(DateTimeOffset at, double lagMs)
    {
        _lags.Enqueue((at, lagMs));
        while (_lags.Count > 0 && at - _lags.Peek().At > window)
        {
            _lags.Dequeue();
        }
    }

    /// <summary>
    /// How long the newest primary position that <paramref name="replica"/> passed since its previous probe took to
    /// reach it (ms, at most a poll late); the previous figure when it passed no new position (an idle primary, or a
    /// replica that replays nothing). Unlike the lag, this survives the replica catching up between sparse writes.
    /// </summary>
    public double ReplayDelayMs(string replica, Lsn replay, DateTimeOffset now)
    {
        var previous = _lastReplay.TryGetValue(replica, out var last) ? last : (Lsn?)null;
        _lastReplay[replica] = replay;
        Lsn? newest = null;
        var firstSeen = now;
        foreach (var (at, lsn) in _primary)
        {
            if (lsn > replay)
            {
                break;
            }

            if (newest is null || lsn > newest.Value)
            {
                (newest, firstSeen) = (lsn, at);
            }
        }

        if (previous is { } before && newest is { } passed && passed > before)
        {
            _replayDelays[replica] = Math.Max(0, (now - firstSeen).TotalMilliseconds);
        }

        return _replayDelays.GetValueOrDefault(replica);
    }

    public double P99LagMs()
    {
        if (_lags.Count == 0)
        {
            return 0;
        }

        var sorted = _lags.Select(l => l.LagMs).Order().ToArray();
        return sorted[(int)Math.Ceiling(sorted.Length * 0.99) - 1];
    }
}
