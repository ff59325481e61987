using System.Collections.Concurrent;

namespace OrleansRaw.WebApi.Consistency;

/// <summary>
/// What reads served here proved about replicas: a replica that served a read at P had replayed P, which the monitor's
/// snapshot may show only a poll later. Trusting it sends the next read there without a wait; a replica that restarted
/// behind its proof fails that read's check, which reads the primary and drops the proof.
/// </summary>
public sealed class ReplayProofs
{
    private readonly ConcurrentDictionary<string, Lsn> _proven = new(StringComparer.Ordinal);

    public void Note(string replica, Lsn servedAt) => _proven.AddOrUpdate(replica, servedAt, (_, proven) => Lsn.Max(proven, servedAt));

    public void Forget(string replica) => _proven.TryRemove(replica, out _);

    /// <summary>The snapshot with each replica's replay raised to what reads proved, where they proved more.</summary>
    public ReplicaSnapshot Apply(ReplicaSnapshot snapshot)
    {
        if (_proven.IsEmpty || !snapshot.Replicas.Any(r => _proven.GetValueOrDefault(r.Name) > r.ReplayLsn))
        {
            return snapshot;
        }

        return snapshot with
        {
            Replicas = [.. snapshot.Replicas.Select(r => _proven.TryGetValue(r.Name, out var proven) && proven > r.ReplayLsn
                ? r with { ReplayLsn = proven }
                : r)],
        };
    }
}
