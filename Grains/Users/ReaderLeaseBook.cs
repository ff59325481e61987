namespace OrleansRaw.Grains.Users;

/// <summary>Which API servers hold one user's state under lease, until when (this silo's clock), and whether they share it.</summary>
internal sealed class ReaderLeaseBook
{
    private readonly Dictionary<GrainId, (IReaderLeaseHolder Holder, DateTimeOffset Until)> _holders = [];
    private bool _sharing;

    /// <summary>Records a lease; true when another server holds one too.</summary>
    public bool Grant(IReaderLeaseHolder holder, DateTimeOffset until, DateTimeOffset now)
    {
        Prune(now);
        _holders[holder.GetGrainId()] = (holder, until);
        return _holders.Count > 1;
    }

    /// <summary>The holders that must start sharing because <paramref name="joining"/> is about to hold a lease too.</summary>
    public IReadOnlyList<IReaderLeaseHolder> StartSharing(IReaderLeaseHolder joining, DateTimeOffset now)
    {
        Prune(now);
        if (_sharing || _holders.Count == 0 || _holders.ContainsKey(joining.GetGrainId()))
        {
            return [];
        }

        _sharing = true;
        return [.. _holders.Values.Select(h => h.Holder)];
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

    private void Prune(DateTimeOffset now)
    {
        foreach (var (id, _) in _holders.Where(h => h.Value.Until <= now).ToList())
        {
            _holders.Remove(id);
        }

        if (_holders.Count <= 1)
        {
            _sharing = false;
        }
    }
}
