namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Reads outside any request — a queued job, a consumer of another service's events — as of a write: never older
/// than the position (or consistency token) the work carries, however far the replicas lag, and on a replica whenever
/// one has replayed it. The read runs in a scope of its own and gets the same <see cref="RoutedDatabase"/> as a request.
/// </summary>
public sealed class ConsistentReads
{
    private readonly IServiceScopeFactory _scopes;
    private readonly ConsistencyTokens _tokens;

    internal ConsistentReads(IServiceScopeFactory scopes, ConsistencyTokens tokens)
    {
        _scopes = scopes;
        _tokens = tokens;
    }

    /// <summary>
    /// Runs <paramref name="read"/> as of <paramref name="position"/> (null: no floor, as eventual as the replicas) on
    /// data owned by <paramref name="ownerId"/>, waiting on a replica up to <paramref name="maxWait"/> (the configured
    /// default when null; at most <see cref="ConsistencyOptions.MaxRequestedWait"/>) before reading the primary instead.
    /// Throws <see cref="ArgumentException"/> for an <paramref name="ownerId"/> that is not a valid user id (see <see cref="UserIds"/>).
    /// </summary>
    public async Task<T> ReadAsOfAsync<T>(WalPosition? position, string? ownerId, Func<RoutedDatabase, Task<T>> read,
        TimeSpan? maxWait = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (ownerId is not null && UserIds.Error(ownerId) is { } invalid)
        {
            throw new ArgumentException(invalid, nameof(ownerId));
        }

        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RoutedDatabase>();
        // No reader: background work is not the user. The position it carries is its proof of the write.
        var request = new ReadRequest(ReaderId: null, OwnerId: ownerId, ClientPosition: position, MaxWait: maxWait);
        // The routing span is current for the read, so the read's database commands show under it.
        using var routing = RoutingSpan.Start();
        db.Context.Routing = routing;
        await scope.ServiceProvider.GetRequiredService<IReadRouting>().DecideAsync(db.Context, request, cancellationToken);
        return await read(db);
    }

    /// <summary>
    /// Runs <paramref name="read"/> as of the write a consistency token issued to <paramref name="userId"/> stands for
    /// (as a <see cref="RecordedWrite"/> hands it off); throws <see cref="ArgumentException"/> for a token that is
    /// malformed, forged or another user's.
    /// </summary>
    public Task<T> ReadAsOfTokenAsync<T>(string token, string userId, Func<RoutedDatabase, Task<T>> read,
        TimeSpan? maxWait = null, CancellationToken cancellationToken = default)
    {
        if (!_tokens.TryRead(token, userId, out var position, out var error))
        {
            throw new ArgumentException(error, nameof(token));
        }

        return ReadAsOfAsync(position, userId, read, maxWait, cancellationToken);
    }
}
