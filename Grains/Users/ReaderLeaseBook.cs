namespace OrleansRaw.Grains.Users;

/// <summary>
/// Which API servers hold one user's state under lease, until when (this silo's clock), whether each may have recorded
/// writes in its copy (an exclusive lease), and whether such a lease ran out before its holder reported (a lapse).
/// </summary>
internal sealed class ReaderLeaseBook
{
    private readonly Dictionary<GrainId, Entry> _holders = [];
    private bool _sharing;
    private bool _lapsed;

    /// <summary>Records a lease; true when another server holds one too (then this one records no writes in its copy).</summary>
    public bool Grant(IReaderLeaseHolder holder, DateTimeOffset until, DateTimeOffset now)
    {
        Expire(now);
        var id = holder.GetGrainId();
        var shared = _holders.Count > (_holders.ContainsKey(id) ? 1 : 0);
        _holders[id] = new Entry(holder, until, Exclusive: !shared);
        return shared;
    }

    /// <summary><paramref name="holder"/> is reporting what it did: its lease running out is no lapse.</summary>
    public void Renewing(IReaderLeaseHolder holder, DateTimeOffset now)
    {
        var id = holder.GetGrainId();
        if (_holders.TryGetValue(id, out var held) && held.Until <= now)
        {
            _holders.Remove(id);
        }
    }

    /// <summary>The holders that must start sharing because <paramref name="joining"/> is about to hold a lease too.</summary>
    public IReadOnlyList<(IReaderLeaseHolder Holder, DateTimeOffset Until)> StartSharing(IReaderLeaseHolder joining, DateTimeOffset now)
    {
        Expire(now);
        if (_sharing || _holders.Count == 0 || _holders.ContainsKey(joining.GetGrainId()))
        {
            return [];
        }

        _sharing = true;
        return [.. _holders.Values.Select(h => (h.Holder, h.Until))];
    }

    /// <summary><paramref name="holder"/> answered a share with its report: it records no more writes in its copy.</summary>
    public void Shared(IReaderLeaseHolder holder)
    {
        var id = holder.GetGrainId();
        if (_holders.TryGetValue(id, out var held))
        {
            _holders[id] = held with { Exclusive = false };
        }
    }

    /// <summary>Removes and returns every live holder but <paramref name="except"/>, with the end of its lease.</summary>
    public List<(IReaderLeaseHolder Holder, DateTimeOffset Until)> TakeAllBut(IReaderLeaseHolder? except, DateTimeOffset now)
    {
        Expire(now);
        var skip = except?.GetGrainId();
        var taken = _holders.Where(h => h.Key != skip).ToList();
        foreach (var (id, _) in taken)
        {
            _holders.Remove(id);
        }

        _sharing = _sharing && _holders.Count > 1;
        return [.. taken.Select(h => (h.Value.Holder, h.Value.Until))];
    }

    /// <summary>Forgets a holder that could not be reached; its lease is waited out and counted as a lapse.</summary>
    public void Remove(IReaderLeaseHolder holder) => _holders.Remove(holder.GetGrainId());

    /// <summary>A lease ended without its holder's report.</summary>
    public void NoteLapse() => _lapsed = true;

    /// <summary>True when a lease ended without its holder's report and was not yet accounted for.</summary>
    public bool HasLapses => _lapsed;

    /// <summary>True (once) when a lease ended without its holder's report since the last call.</summary>
    public bool TakeLapses()
    {
        var lapsed = _lapsed;
        _lapsed = false;
        return lapsed;
    }

    /// <summary>Drops the leases that ran out by <paramref name="now"/>; an exclusive one is a lapse.</summary>
    public void Expire(DateTimeOffset now)
    {
        foreach (var (id, entry) in _holders.Where(h => h.Value.Until <= now).ToList())
        {
            _holders.Remove(id);
            _lapsed |= entry.Exclusive;
        }

        if (_holders.Count <= 1)
        {
            _sharing = false;
        }
    }

    private sealed record Entry(IReaderLeaseHolder Holder, DateTimeOffset Until, bool Exclusive);
}
