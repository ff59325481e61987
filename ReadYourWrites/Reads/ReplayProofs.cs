using System.Collections.Concurrent;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// What reads served here proved about replicas: a replica that served a read at P had replayed P, which the monitor's
/// snapshot may show only a poll later. Trusting it sends the next read there without a wait; a replica that restarted
/// behind its proof fails that read's check, which reads the primary and drops the proof. A proof counts only on the
/// timeline it was made on: after a failover its LSN means something else.
/// </summary>
internal sealed class ReplayProofs
{
    private readonly ConcurrentDictionary<string, WalPosition> _proven = new(StringComparer.Ordinal);

    public void Note(string replica, WalPosition servedAt) =>
        _proven.AddOrUpdate(replica, servedAt, (_, proven) => WalPosition.Latest(proven, servedAt));

    public void Forget(string replica) => _proven.TryRemove(replica, out _);

    /// <summary>The snapshot with each replica's replay raised to what reads proved, where they proved more.</summary>
    public ReplicaSnapshot Apply(ReplicaSnapshot snapshot)
    {
        if (_proven.IsEmpty || !snapshot.Replicas.Any(r => Proves(r, out _)))
        {
            return snapshot;
        }

        return snapshot with { Replicas = [.. snapshot.Replicas.Select(r => Proves(r, out var proven) ? r with { ReplayLsn = proven } : r)] };
    }

    private bool Proves(ReplicaStatus replica, out Lsn proven)
    {
        proven = _proven.TryGetValue(replica.Name, out var position) && position.Timeline == replica.Timeline ? position.Lsn : Lsn.Zero;
        return proven > replica.ReplayLsn;
    }
}
