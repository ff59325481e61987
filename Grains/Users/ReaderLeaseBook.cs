namespace OrleansRaw.Grains.Users;

/// <summary>
/// Which API servers hold one user's state under lease, until when (this silo's monotonic clock, a
/// <see cref="TimeProvider.GetTimestamp"/>: a step of the wall clock must not end a live lease early), whether each may
/// have recorded writes in its copy (an exclusive lease), and whether such a lease ran out before its holder reported
/// (a lapse). I/O-free: the grain's <see cref="LeaseGrantor"/> drives it, and the exploration tests run the same code.
/// </summary>
internal struct ReaderLeaseBook()
{
    // One per active user, so it is kept small: a struct held inline by the user's grain (an object of its own took 32
    // bytes more), and a user is served by one API server at a time, now and then by two or three, so the holders are
    // a short array searched in order (a dictionary took three times the memory), replaced only when a server starts
    // or stops holding a lease, not at each renewal.
    private Entry[] _holders = [];
    private bool _sharing;
    private bool _lapsed;

    /// <summary>Records a lease; true when another server holds one too (then this one records no writes in its copy).</summary>
    public bool Grant(IReaderLeaseHolder holder, long until, long now, LeaseHolderReferences ids)
    {
        Expire(now);
        var index = IndexOf(ids.IdOf(holder), ids);
        var shared = _holders.Length > (index >= 0 ? 1 : 0);
        var entry = new Entry(holder, until, Exclusive: !shared);
        if (index >= 0)
        {
            _holders[index] = entry;
        }
        else
        {
            _holders = [.. _holders, entry];
        }

        return shared;
    }

    /// <summary><paramref name="holder"/> is reporting what it did: its lease running out is no lapse.</summary>
    public void Renewing(IReaderLeaseHolder holder, long now, LeaseHolderReferences ids)
    {
        var index = IndexOf(ids.IdOf(holder), ids);
        if (index >= 0 && _holders[index].Until <= now)
        {
            RemoveAt(index);
        }
    }

    /// <summary>The holders that must start sharing because <paramref name="joining"/> is about to hold a lease too.</summary>
    public IReadOnlyList<(IReaderLeaseHolder Holder, long Until)> StartSharing(IReaderLeaseHolder joining, long now, LeaseHolderReferences ids)
    {
        Expire(now);
        if (_sharing || _holders.Length == 0 || IndexOf(ids.IdOf(joining), ids) >= 0)
        {
            return [];
        }

        _sharing = true;
        return [.. _holders.Select(h => (h.Holder, h.Until))];
    }

    /// <summary><paramref name="holder"/> answered a share with its report: it records no more writes in its copy.</summary>
    public void Shared(IReaderLeaseHolder holder, LeaseHolderReferences ids)
    {
        var index = IndexOf(ids.IdOf(holder), ids);
        if (index >= 0)
        {
            _holders[index] = _holders[index] with { Exclusive = false };
        }
    }

    /// <summary>Removes and returns every live holder but <paramref name="except"/>, with the end of its lease.</summary>
    public List<(IReaderLeaseHolder Holder, long Until)> TakeAllBut(IReaderLeaseHolder? except, long now, LeaseHolderReferences ids) =>
        Take(except, exclusiveOnly: false, now, ids);

    /// <summary>Removes and returns every live exclusive holder but <paramref name="except"/>, with the end of its lease.</summary>
    public List<(IReaderLeaseHolder Holder, long Until)> TakeExclusiveBut(IReaderLeaseHolder? except, long now, LeaseHolderReferences ids) =>
        Take(except, exclusiveOnly: true, now, ids);

    /// <summary>Forgets a holder that could not be reached; its lease is waited out and counted as a lapse.</summary>
    public void Remove(IReaderLeaseHolder holder, LeaseHolderReferences ids)
    {
        var index = IndexOf(ids.IdOf(holder), ids);
        if (index >= 0)
        {
            RemoveAt(index);
        }
    }

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
    public void Expire(long now)
    {
        var live = 0;
        foreach (var entry in _holders)
        {
            if (entry.Until <= now)
            {
                _lapsed |= entry.Exclusive;
            }
            else
            {
                live++;
            }
        }

        if (live < _holders.Length)
        {
            _holders = live == 0 ? [] : [.. _holders.Where(h => h.Until > now)];
        }

        if (_holders.Length <= 1)
        {
            _sharing = false;
        }
    }

    private List<(IReaderLeaseHolder Holder, long Until)> Take(IReaderLeaseHolder? except, bool exclusiveOnly, long now, LeaseHolderReferences ids)
    {
        Expire(now);
        GrainId? skip = except is null ? null : ids.IdOf(except);
        bool Taken(Entry entry) => (entry.Exclusive || !exclusiveOnly) && ids.IdOf(entry.Holder) != skip;
        var taken = new List<(IReaderLeaseHolder Holder, long Until)>();
        foreach (var entry in _holders)
        {
            if (Taken(entry))
            {
                taken.Add((entry.Holder, entry.Until));
            }
        }

        if (taken.Count > 0)
        {
            _holders = [.. _holders.Where(h => !Taken(h))];
        }

        _sharing = _sharing && _holders.Length > 1;
        return taken;
    }

    private int IndexOf(GrainId id, LeaseHolderReferences ids)
    {
        for (var i = 0; i < _holders.Length; i++)
        {
            if (ids.IdOf(_holders[i].Holder) == id)
            {
                return i;
            }
        }

        return -1;
    }

    private void RemoveAt(int index) => _holders = _holders.Length == 1 ? [] : [.. _holders[..index], .. _holders[(index + 1)..]];

    // The end of the lease as a monotonic timestamp: 8 bytes, and no wall clock in it.
    private readonly record struct Entry(IReaderLeaseHolder Holder, long Until, bool Exclusive);
}
