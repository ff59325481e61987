using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The request's database: reads run where the endpoint's routing decision says, behind a position check; writes run
/// on the primary and are noticed so the write declaration can record them. Endpoints use nothing else: Dapper-style
/// queries here, or a connection (<see cref="OpenReadConnectionAsync"/>) for any other data library.
/// </summary>
public sealed partial class RoutedDatabase : IAsyncDisposable
{
    private readonly ConsistencyContext _context;
    private readonly DataSources _sources;
    private readonly CriticalReadBulkhead _bulkhead;
    private readonly ReplicaPauses _pauses;
    private readonly IOptions<DatabaseOptions> _options;
    private readonly ReadYourWritesMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger<RoutedDatabase> _logger;

    internal RoutedDatabase(ConsistencyContext context, DataSources sources, CriticalReadBulkhead bulkhead, ReplicaPauses pauses,
        IOptions<DatabaseOptions> options, ReadYourWritesMetrics metrics, TimeProvider clock, ILogger<RoutedDatabase> logger)
    {
        _context = context;
        _sources = sources;
        _bulkhead = bulkhead;
        _pauses = pauses;
        _options = options;
        _metrics = metrics;
        _clock = clock;
        _logger = logger;
    }

    // A separate statement ahead of the read, in the same round trip: the read's snapshot is taken after the check
    // passed, so it contains everything up to the required position. Inside one statement the check could miss.
    private const string GuardSql = "SELECT COALESCE(pg_last_wal_replay_lsn() >= @orleansraw_required_lsn::pg_lsn, false)";

    // The same check, waiting on the replica (in 1 ms steps, up to the decision's budget) for the position to be
    // replayed: the read runs the moment it is, with no monitor poll in between (migration 0003).
    private const string WaitingGuardSql = "SELECT orleansraw_wait_replay(@orleansraw_required_lsn::pg_lsn, @orleansraw_wait_ms)";

    // After the read, in the same round trip: a position at or past the read's snapshot, so a later read required to
    // be at or past it cannot show less than this one did (monotonic reads). Free but for a few bytes. On a replica it
    // is on the timeline the decision found the replica on; on the primary, the primary names its own timeline in the
    // same statement (pg_walfile_name uses the insert timeline, which a promotion changes at once).
    private const string ReplicaPositionSql = "SELECT COALESCE(pg_last_wal_replay_lsn(), '0/0'::pg_lsn)::text";
    private const string PrimaryPositionSql = "SELECT l::text AS Lsn, pg_walfile_name(l) AS WalFile FROM pg_current_wal_insert_lsn() AS l";

    /// <summary>What this request did with the database so far.</summary>
    internal ConsistencyContext Context => _context;

    /// <summary>
    /// Where this scope's last read ran: <c>primary</c> or <c>replica:NAME</c> (<see cref="ReadSources"/>); null before
    /// any read. A request's response carries it as <c>X-Read-Source</c>.
    /// </summary>
    public string? ReadSource => _context.ReadSource;

    /// <summary>True while a keyed write's transaction is open, waiting for its outcome.</summary>
    internal bool KeyedWritePending => _keyed is not null;

    // The open transaction of a keyed write; disposing it uncommitted rolls it back (Npgsql resets a pooled
    // connection that is still in a transaction), key claim and all.
    private NpgsqlConnection? _keyed;

    /// <summary>
    /// Runs a reading statement (Dapper-style: <paramref name="parameters"/> is an object whose properties are the
    /// statement's parameters) where the endpoint's declaration routes it: a replica that has replayed what the reader
    /// must see, else the primary.
    /// </summary>
    public Task<List<T>> QueryAsync<T>(string sql, object? parameters, CancellationToken cancellationToken) =>
        RouteAsync(
            (replica, decision) => QueryReplicaAsync<T>(replica, decision, sql, parameters, cancellationToken),
            (read, name, decision) =>
            {
                if (read.Rows is not null)
                {
                    Served(ReadSources.Replica(name), decision.Reason, read.ServedAt, name);
                }

                return read.Rows;
            },
            reason => QueryPrimaryAsync<T>(sql, parameters, reason, cancellationToken),
            cancellationToken);

    /// <summary>
    /// A connection to where this request's reads should run, its position check already passed (a replica that has
    /// replayed what the decision requires, else the primary), for a data library other than the queries here: an
    /// EF Core <c>DbContext</c> built on it, say. Dispose it when the reads are done; disposing records how far they
    /// reached (one short statement) before the connection goes back to its pool. Do not write through it.
    /// </summary>
    public Task<RoutedConnection> OpenReadConnectionAsync(CancellationToken cancellationToken) =>
        RouteAsync(
            (replica, decision) => OpenGuardedAsync(replica, decision, cancellationToken),
            (guarded, name, decision) => guarded is null ? null
                : new RoutedConnection(guarded, ReadSources.Replica(name), decision.Reason, name, decision.Timeline, this, default),
            reason => OpenPrimaryAsync(reason, cancellationToken),
            cancellationToken);

    // Where the decision sends a read. To its replica, within the replica read timeout: what the replica gave is accepted
    // once it is back (null: the position check failed) — never inside the replica task, which a timeout abandons.
    // Else to the primary: after a near miss (guard-fallback), an error or no answer in time (replicas-unavailable, and
    // no more reads on that replica for a moment), or when the decision chose the primary.
    private async Task<TResult> RouteAsync<TReplica, TResult>(
        Func<NpgsqlDataSource, RoutingDecision, Task<TReplica>> readReplica,
        Func<TReplica, string, RoutingDecision, TResult?> accept,
        Func<string, Task<TResult>> readPrimary,
        CancellationToken cancellationToken)
        where TResult : class
    {
        var decision = RequireDecision();
        if (decision.Replica is { } name && _sources.Replica(name) is { } replica)
        {
            try
            {
                if (accept(await WithinReplicaTimeoutAsync(readReplica(replica, decision), decision, cancellationToken), name, decision) is { } served)
                {
                    return served;
                }

                // A near miss: the decision trusted a replay position the replica no longer showed at read time.
                LogGuardFallback(_logger, name, decision.RequiredLsn.ToString());
                FellBack(RoutingReasons.GuardFallback, name);
                return await readPrimary(RoutingReasons.GuardFallback);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                _pauses.Pause(name);
                LogReplicaFailed(_logger, name, ex.Message);
                FellBack(RoutingReasons.ReplicasUnavailable, name);
                return await readPrimary(RoutingReasons.ReplicasUnavailable);
            }
        }

        if (IsFallback(decision.Reason))
        {
            _metrics.ReadFellBack(decision.Reason, null);
        }

        return await readPrimary(decision.Reason);
    }

    // A replica connection on which the decision's position check (waiting as long as the decision allows) passed, or
    // null when the replica had not replayed the position in time. Later statements take their snapshots after it.
    private async Task<NpgsqlConnection?> OpenGuardedAsync(NpgsqlDataSource replica, RoutingDecision decision, CancellationToken cancellationToken)
    {
        var connection = await replica.OpenConnectionAsync(cancellationToken);
        try
        {
            if (decision.RequiredLsn == Lsn.Zero)
            {
                return connection;
            }

            var waits = decision.MaxWait > TimeSpan.Zero;
            var started = _clock.GetTimestamp();
            var replayed = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(waits ? WaitingGuardSql : GuardSql,
                new { orleansraw_required_lsn = decision.RequiredLsn.ToString(), orleansraw_wait_ms = (int)Math.Ceiling(decision.MaxWait.TotalMilliseconds) },
                cancellationToken: cancellationToken));
            if (waits)
            {
                Waited(_clock.GetElapsedTime(started), replayed);
            }

            if (replayed)
            {
                return connection;
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    private async Task<RoutedConnection> OpenPrimaryAsync(string reason, CancellationToken cancellationToken)
    {
        var critical = reason == RoutingReasons.Critical;
        var slot = critical ? await _bulkhead.EnterAsync(cancellationToken) : default;
        try
        {
            var connection = await (critical ? _sources.CriticalReads : _sources.Primary).OpenConnectionAsync(cancellationToken);
            return new RoutedConnection(connection, ReadSources.Primary, reason, null, 0, this, slot);
        }
        catch
        {
            slot.Dispose();
            throw;
        }
    }

    // Called as a handed-out connection is disposed: how far its reads reached, read on it before it goes back.
    internal async Task ServedThroughAsync(RoutedConnection routed)
    {
        try
        {
            var at = routed.Replica is null
                ? (await routed.Connection.QuerySingleAsync<PositionRow>(PrimaryPositionSql)).Position
                : new WalPosition(routed.Timeline, Lsn.Parse(await routed.Connection.QuerySingleAsync<string>(ReplicaPositionSql)));
            Served(routed.Source, routed.Reason, at, routed.Replica);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The reads were served; only the position they reached is unknown, so no token or floor is taken from them.
            LogServedPositionUnknown(_logger, routed.Source, ex.Message);
        }
    }

    /// <summary>As <see cref="QueryAsync{T}"/>, for at most one row: the row, or the default when there is none.</summary>
    public async Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? parameters, CancellationToken cancellationToken) =>
        (await QueryAsync<T>(sql, parameters, cancellationToken)).SingleOrDefault();

    /// <summary>
    /// Runs one writing statement that returns rows (<c>RETURNING</c>) on the primary, in its own transaction, and reads
    /// the position after its commit — all in one round trip. The position statement follows <c>COMMIT</c>, so it runs
    /// in a transaction of its own, after the commit record was inserted.
    /// </summary>
    public async Task<List<T>> WriteAsync<T>(string sql, object? parameters, CancellationToken cancellationToken)
    {
        _context.Wrote = true;
        if (_context.Idempotency is { } key)
        {
            return await KeyedWriteAsync<T>(key, sql, parameters, cancellationToken);
        }

        await using var connection = await _sources.Primary.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            "BEGIN;\n" + sql + ";\nCOMMIT;\n" + PrimaryPositionSql, parameters, cancellationToken: cancellationToken));
        var rows = (await results.ReadAsync<T>()).AsList();
        _context.WrittenThrough = (await results.ReadSingleAsync<PositionRow>()).Position;
        return rows;
    }

    /// <summary>
    /// A position at or past this request's write: the one read with it in the same round trip, else the primary's
    /// position now (read in a statement of its own, so past the commit whenever the commit happened).
    /// </summary>
    public async Task<WalPosition> WrittenPositionAsync(CancellationToken cancellationToken)
    {
        if (_context.WrittenThrough is { } known)
        {
            return known;
        }

        await using var connection = await _sources.Primary.OpenConnectionAsync(cancellationToken);
        return (await connection.QuerySingleAsync<PositionRow>(new CommandDefinition(PrimaryPositionSql, cancellationToken: cancellationToken))).Position;
    }

    /// <summary>Runs a write of several steps on the primary; whatever it commits is tracked, even if it then throws.</summary>
    public async Task<T> WriteAsync<T>(Func<NpgsqlConnection, Task<T>> write, CancellationToken cancellationToken)
    {
        _context.Wrote = true;
        if (_context.Idempotency is { } key)
        {
            if (_keyed is null)
            {
                await KeyedWriteAsync<int>(key, "SELECT 1", null, cancellationToken);
            }

            return await write(_keyed!);
        }

        await using var connection = await _sources.Primary.OpenConnectionAsync(cancellationToken);
        return await write(connection);
    }

    /// <summary>
    /// Stores the keyed write's outcome with it and commits both, reading the position after the commit in the same
    /// round trip.
    /// </summary>
    internal async Task CommitKeyedWriteAsync(StoredOutcome outcome, CancellationToken cancellationToken)
    {
        var connection = _keyed ?? throw new InvalidOperationException("No keyed write is pending.");
        try
        {
            await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
                IdempotencyKeyStore.StoreOutcomeSql + "COMMIT;\n" + PrimaryPositionSql,
                IdempotencyKeyStore.OutcomeParameters(_context.Idempotency!, outcome), cancellationToken: cancellationToken));
            _context.WrittenThrough = (await results.ReadSingleAsync<PositionRow>()).Position;
        }
        finally
        {
            _keyed = null;
            await connection.DisposeAsync();
        }
    }

    /// <summary>Rolls back a keyed write whose outcome was never stored (the request failed) and returns its connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_keyed is { } connection)
        {
            _keyed = null;
            await connection.DisposeAsync();
        }
    }

    // The first keyed statement opens the transaction and claims the key in the same round trip as the write; later
    // ones run in that transaction. A taken key stops the batch at the claim, before the write.
    private async Task<List<T>> KeyedWriteAsync<T>(IdempotentRequest key, string sql, object? parameters, CancellationToken cancellationToken)
    {
        var claims = _keyed is null;
        _keyed ??= await _sources.Primary.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var results = await _keyed.QueryMultipleAsync(new CommandDefinition(
                (claims ? "BEGIN;\n" + IdempotencyKeyStore.ClaimSql : "") + sql,
                claims ? IdempotencyKeyStore.Parameters(key, parameters) : parameters, cancellationToken: cancellationToken));
            return (await results.ReadAsync<T>()).AsList();
        }
        catch (PostgresException ex) when (claims && IdempotencyKeyStore.IsTaken(ex))
        {
            throw await KeyTakenAsync(key, cancellationToken);
        }
    }

    private async Task<IdempotencyKeyUsedException> KeyTakenAsync(IdempotentRequest key, CancellationToken cancellationToken)
    {
        var connection = _keyed!;
        _keyed = null;
        await using (connection)
        {
            // The position is read after the first request's commit was seen, so it covers its write; recording it
            // again lets a replay of a write that answered 503 (committed, never recorded) make the next read consistent.
            await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
                IdempotencyKeyStore.LookupSql + PrimaryPositionSql, IdempotencyKeyStore.Parameters(key), cancellationToken: cancellationToken));
            var used = IdempotencyKeyStore.Used(key, await results.ReadSingleOrDefaultAsync<IdempotencyKeyStore.StoredRow>());
            var position = (await results.ReadSingleAsync<PositionRow>()).Position;

            // Nothing of this request committed; a replay counts as the write it replays.
            _context.Wrote = used.Use == KeyUse.SameRequest;
            _context.WrittenThrough = _context.Wrote ? position : null;
            return used;
        }
    }

    // Opening and the whole batch within the replica read timeout plus the wait for replay the decision allows; then
    // the read is abandoned, not cancelled: against a replica whose processes hang, Npgsql's cancellation request
    // blocks the thread that cancels (with CancelAfter, reads all over the process stalled for seconds, measured) and
    // opening a connection takes its connect timeout. The abandoned read ends on the data source's own timeouts;
    // nothing of it reaches this request.
    private async Task<TResult> WithinReplicaTimeoutAsync<TResult>(Task<TResult> read, RoutingDecision decision, CancellationToken cancellationToken)
    {
        try
        {
            return await read.WaitAsync(_options.Value.ReplicaReadTimeout + decision.MaxWait, _clock, cancellationToken);
        }
        catch (Exception) when (!read.IsCompleted)
        {
            // An abandoned connection that opens after all goes straight back to its pool.
            _ = read.ContinueWith(static abandoned => abandoned.IsFaulted ? abandoned.Exception
                : (abandoned.Result as IDisposable) is { } late ? Disposed(late) : null,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }

        static Exception? Disposed(IDisposable late)
        {
            late.Dispose();
            return null;
        }
    }

    private async Task<(List<T>? Rows, WalPosition ServedAt)> QueryReplicaAsync<T>(
        NpgsqlDataSource replica, RoutingDecision decision, string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await replica.OpenConnectionAsync(cancellationToken);
        var guarded = decision.RequiredLsn != Lsn.Zero;
        var waits = guarded && decision.MaxWait > TimeSpan.Zero;
        var batch = new DynamicParameters(parameters);
        if (guarded)
        {
            batch.Add("orleansraw_required_lsn", decision.RequiredLsn.ToString());
        }

        if (waits)
        {
            batch.Add("orleansraw_wait_ms", (int)Math.Ceiling(decision.MaxWait.TotalMilliseconds));
        }

        var started = _clock.GetTimestamp();
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            (waits ? WaitingGuardSql + ";\n" : guarded ? GuardSql + ";\n" : "") + sql + ";\n" + ReplicaPositionSql, batch, cancellationToken: cancellationToken));
        var replayed = !guarded || await results.ReadSingleAsync<bool>();
        if (waits)
        {
            Waited(_clock.GetElapsedTime(started), replayed);
        }

        if (!replayed)
        {
            return (null, WalPosition.Zero);
        }

        var rows = (await results.ReadAsync<T>()).AsList();
        return (rows, new WalPosition(decision.Timeline, Lsn.Parse(await results.ReadSingleAsync<string>())));
    }

    private async Task<List<T>> QueryPrimaryAsync<T>(string sql, object? parameters, string reason, CancellationToken cancellationToken)
    {
        // A critical read is the one kind a client can ask the primary for at will: it runs on its own small pool, so
        // a burst of them never takes the connections writes need (the bulkhead). Fallbacks keep the main pool.
        var critical = reason == RoutingReasons.Critical;
        using var slot = critical ? await _bulkhead.EnterAsync(cancellationToken) : default;
        await using var connection = await (critical ? _sources.CriticalReads : _sources.Primary).OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            sql + ";\n" + PrimaryPositionSql, parameters, cancellationToken: cancellationToken));
        var rows = (await results.ReadAsync<T>()).AsList();
        Served(ReadSources.Primary, reason, (await results.ReadSingleAsync<PositionRow>()).Position, null);
        return rows;
    }

    private void Served(string source, string reason, WalPosition at, string? replica)
    {
        _context.Served(source, reason, at, replica);
        _metrics.ReadServed(source, reason);
    }

    // A read the decision sent to a replica goes to the primary instead: counted, and marked on the routing span.
    private void FellBack(string reason, string replica)
    {
        _metrics.ReadFellBack(reason, replica);
        RoutingSpan.FellBack(_context.Routing, reason, replica);
    }

    // From sending the check that may wait to its answer: how long the replica waited for the position, plus a round trip.
    private void Waited(TimeSpan waited, bool replayed)
    {
        _metrics.ReplicaWaited(waited, replayed);
        RoutingSpan.Waited(_context.Routing, waited);
    }

    private RoutingDecision RequireDecision() => _context.Decision ?? throw new InvalidOperationException(
        "This endpoint reads without declaring it: add .ReadsCallerData(), .ReadsUserData(...) or .ReadsSharedData() to its mapping "
        + "([ReadsCallerData], [ReadsUserData] or [ReadsSharedData] on a controller action), or read through ConsistentReads in background work.");

    // The decisions that send a read to the primary only because no replica could serve it safely in time.
    private static bool IsFallback(string reason) =>
        reason is RoutingReasons.ReplicasBehind or RoutingReasons.ReplicasUnavailable or RoutingReasons.DecisionUnavailable or RoutingReasons.OtherTimeline;

    private sealed record PositionRow(string Lsn, string WalFile)
    {
        public WalPosition Position => WalPosition.FromServer(Lsn, WalFile).ToWrittenEnd();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Guard fallback: replica {Replica} had not replayed {Lsn} at read time; read the primary instead")]
    private static partial void LogGuardFallback(ILogger logger, string replica, string lsn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read how far the reads on {Source} reached: {Error}")]
    private static partial void LogServedPositionUnknown(ILogger logger, string source, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica} failed a read, read the primary instead: {Error}")]
    private static partial void LogReplicaFailed(ILogger logger, string replica, string error);
}
