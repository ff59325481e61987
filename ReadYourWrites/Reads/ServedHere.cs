namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// How far the reads this API server served a user reached outside an exclusive copy (a shared lease, no decision, a
/// copy that ran out mid-read): what the user's grain has not acknowledged yet (owed: sent with the server's next call
/// for the user, or by the sweep), and, for a while, everything served — a floor for this server's own next reads,
/// since a grant asked for before the grain took a report in may not hold it. I/O-free; one lock.
/// </summary>
internal sealed class ServedHere(TimeProvider clock)
{
    // Longer than any lease (≤ 10 s): a grant asked for before a report was acknowledged has run out by then.
    private static readonly TimeSpan Memory = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>A read served <paramref name="report"/>; the grain does not know it yet.</summary>
    public void Noted(string userId, LeaseReport report)
    {
        lock (_gate)
        {
            var entry = _entries.GetValueOrDefault(userId);
            _entries[userId] = new Entry(Merge(entry.Owed, report), Merge(entry.Served, report), clock.GetTimestamp());
        }
    }

    /// <summary>What the grain is owed, with <paramref name="report"/>.</summary>
    public LeaseReport Owed(string userId, LeaseReport report)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(userId, out var entry) ? Merge(entry.Owed, report) : report;
        }
    }

    /// <summary>The grain acknowledged <paramref name="report"/>: what it covers is owed no more.</summary>
    public void Acknowledged(string userId, LeaseReport report)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(userId, out var entry) && Merge(report, entry.Owed) == report)
            {
                _entries[userId] = entry with { Owed = LeaseReport.None };
            }
        }
    }

    /// <summary>What the grain is owed, with <paramref name="report"/>, handed over in an answer to it (a revocation, a share).</summary>
    public LeaseReport TakeOwed(string userId, LeaseReport report)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(userId, out var entry))
            {
                return report;
            }

            _entries[userId] = entry with { Owed = LeaseReport.None };
            return Merge(entry.Owed, report);
        }
    }

    /// <summary><paramref name="state"/>, raised to what this server served the user lately.</summary>
    public ReaderState Floor(string userId, ReaderState state)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(userId, out var entry) ? ReaderState.Max(state, ReaderState.Of(entry.Served, clock.GetUtcNow())) : state;
        }
    }

    /// <summary>Every user the grain is owed something for.</summary>
    public List<(string UserId, LeaseReport Owed)> AllOwed()
    {
        lock (_gate)
        {
            return [.. _entries.Where(e => e.Value.Owed != LeaseReport.None).Select(e => (e.Key, e.Value.Owed))];
        }
    }

    /// <summary>Drops what is acknowledged and older than any lease.</summary>
    public void Forget()
    {
        lock (_gate)
        {
            foreach (var (userId, entry) in _entries)
            {
                if (entry.Owed == LeaseReport.None && clock.GetElapsedTime(entry.LastServed) > Memory)
                {
                    _entries.Remove(userId);
                }
            }
        }
    }

    private static LeaseReport Merge(LeaseReport a, LeaseReport b) =>
        new(WalPosition.Latest(a.Own, b.Own), WalPosition.Latest(a.Others, b.Others), WalPosition.Latest(a.LastWrite, b.LastWrite));

    private readonly record struct Entry(LeaseReport Owed, LeaseReport Served, long LastServed);
}
