using Npgsql;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// An open connection to where a request's reads should run, its position check already passed, from
/// <see cref="RoutedDatabase.OpenReadConnectionAsync"/>. Disposing it records how far the reads on it reached, then
/// returns the connection to its pool.
/// </summary>
public sealed class RoutedConnection : IAsyncDisposable
{
    private readonly RoutedDatabase _db;
    private CriticalReadBulkhead.Slot _slot;
    private bool _disposed;

    internal RoutedConnection(NpgsqlConnection connection, string source, string reason, string? replica, uint timeline, RoutedDatabase db, CriticalReadBulkhead.Slot slot)
    {
        Connection = connection;
        Source = source;
        Reason = reason;
        Replica = replica;
        Timeline = timeline;
        _db = db;
        _slot = slot;
    }

    /// <summary>The open connection: read through it, with any data library.</summary>
    public NpgsqlConnection Connection { get; }

    /// <summary>Where it leads: <c>primary</c> or <c>replica:NAME</c>.</summary>
    public string Source { get; }

    /// <summary>Why the reads run there (the decision's reason, or a fallback's).</summary>
    public string Reason { get; }

    internal string? Replica { get; }

    internal uint Timeline { get; }

    /// <summary>Records how far the reads on the connection reached (one short statement), then returns it to its pool.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await _db.ServedThroughAsync(this);
        }
        finally
        {
            await Connection.DisposeAsync();
            _slot.Dispose();
            _slot = default;
        }
    }
}
