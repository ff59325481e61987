using System.Collections.Concurrent;

namespace OrleansRaw.Grains.Users;

/// <summary>
/// One reference per API server for all the user grains of this silo. Every call that names a lease holder arrives
/// with a fresh copy of the server's reference (an object and its id's bytes), and each user grain keeps the one its
/// holder last sent: shared, a silo with many active users keeps a few references instead of one per user.
/// </summary>
internal sealed class LeaseHolderReferences
{
    // Far more API servers than a silo ever meets; past it the table starts again (sharing saves memory, nothing more).
    private const int Limit = 4_096;

    private readonly ConcurrentDictionary<GrainId, IReaderLeaseHolder> _references = new();
    private readonly Func<IReaderLeaseHolder, GrainId> _idOf;

    public LeaseHolderReferences()
        : this(holder => holder.GetGrainId())
    {
    }

    /// <summary>For the exploration tests, whose holders are not Orleans references.</summary>
    internal LeaseHolderReferences(Func<IReaderLeaseHolder, GrainId> idOf) => _idOf = idOf;

    /// <summary>The identity of <paramref name="holder"/>'s server.</summary>
    public GrainId IdOf(IReaderLeaseHolder holder) => _idOf(holder);

    /// <summary>The reference this silo already holds for <paramref name="holder"/>'s server, else <paramref name="holder"/>.</summary>
    public IReaderLeaseHolder Shared(IReaderLeaseHolder holder)
    {
        var id = _idOf(holder);
        if (_references.TryGetValue(id, out var known))
        {
            return known;
        }

        if (_references.Count >= Limit)
        {
            _references.Clear();
        }

        return _references.GetOrAdd(id, holder);
    }
}
