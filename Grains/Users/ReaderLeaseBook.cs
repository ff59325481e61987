namespace OrleansRaw.Grains.Users;

/// <summary>
/// Which API servers hold one user's state under lease, until when (this silo's clock), whether they share it, and
/// whether a lease ran out before its holder reported what it did under it (a lapse).
/// </summary>
internal sealed class ReaderLeaseBook
{
    private readonly Dictionary<GrainId, (IReaderLeaseHolder Holder, DateTimeOffset Until)> _holders = [];
    private bool _sharing;
    private bool _lapsed;

    /// <summary>Records a lease; true when another server holds one too.</summary>
    public bool Grant(IReaderLeaseHolder holder, DateTimeOffset until, DateTimeOffset now)
    {
        Prune(now);
        _holders[holder.GetGrainId()] = (holder, until);
        return _holders.Count > 1;
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
        Prune(now);
        if (_sharing || _holders.Count == 0 || _holders.ContainsKey(joining.GetGrainId()))
        {
            return [];
        }

        _sharing = true;
        return [.. _holders.Values];
    }

    /// <summary>Removes and returns every live holder but <paramref name="except"/>, with the end of its lease.</summary>
    public List<(IReaderLeaseHolder Holder, DateTimeOffset Until)> TakeAllBut(IReaderLeaseHolder? except, DateTimeOffset now)
    {
        Prune(now);
        var skip = except?.GetGrainId();
        var taken = _holders.Where(h => h.Key != skip).ToList();
        foreach (var (id, _) in taken)
        {
            _holders.Remove(id);
        }

        _sharing = _sharing && _holders.Count > 1;
        return [.. taken.Select(h => h.Value)];
    }

    /// <summary>Forgets a holder that could not be reached; its lease is waited out and counted as a lapse.</summary>
    public void Remove(IReaderLeaseHolder holder) => _holders.Remove(holder.GetGrainId());

    /// <summary>A lease ended without its holder's report.</summary>
    public void NoteLapse() => _lapsed = true;

    /// <summary>True (once) when a lease ended without its holder's report since the last call.</summary>
    public bool TakeLapses()
    {
        var lapsed = _lapsed;
        _lapsed = false;
        return lapsed;
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (id, _) in _holders.Where(h => h.Value.Until <= now).ToList())
        {
            _holders.Remove(id);
            _lapsed = true;
        }

        if (_holders.Count <= 1)
        {
            _sharing = false;
        }
    }
}
