using Dapper;
using Npgsql;
using OrleansRaw.WebApi.Data;
using OrleansRaw.WebApi.Observability;

namespace OrleansRaw.WebApi.Consistency;

/// <summary>
/// The request's database: reads run where the endpoint's routing decision says, behind a position check; writes run
/// on the primary and are noticed so the write-tracking filter can record them. Endpoints use nothing else.
/// </summary>
public sealed partial class RoutedDatabase(DataSources sources, ApiInstruments instruments, ILogger<RoutedDatabase> logger)
{
    // A separate statement ahead of the read, in the same round trip: the read's snapshot is taken after the check
    // passed, so it contains everything up to the required position. Inside one statement the check could miss.
    private const string GuardSql = "SELECT COALESCE(pg_last_wal_replay_lsn() >= @orleansraw_required_lsn::pg_lsn, false)";

    // After the read, in the same round trip: a position at or past the read's snapshot, so a later read required to
    // be at or past it cannot show less than this one did (monotonic reads). Free but for a few bytes.
    private const string ReplicaPositionSql = "SELECT COALESCE(pg_last_wal_replay_lsn(), '0/0'::pg_lsn)::text";
    private const string PrimaryPositionSql = "SELECT pg_current_wal_insert_lsn()::text";

    /// <summary>The decision for this request's reads; set by the read-routing filter.</summary>
    public RoutingDecision? Decision { get; internal set; }

    /// <summary>Where the last read actually ran: <c>primary</c> or <c>replica:NAME</c>.</summary>
    public string? ReadSource { get; private set; }

    /// <summary>Why the last read ran there (the decision's reason, or a fallback's).</summary>
    public string? ReadReason { get; private set; }

    /// <summary>A position at or past the data the last read returned (zero before any read).</summary>
    public Lsn ServedAt { get; private set; }

    /// <summary>The replica the last read ran on, or null for the primary.</summary>
    public string? ServedBy { get; private set; }

    /// <summary>True once a write committed on the primary during this request.</summary>
    public bool Wrote { get; private set; }

    /// <summary>Jobs this request's write enqueued; they receive the write's consistency token once it is recorded.</summary>
    public IReadOnlyList<long> HandedOffJobs => _handedOff;

    private readonly List<long> _handedOff = [];

    /// <summary>Hands this request's write to a queued job: the job will read as of this write, however lagged the replicas.</summary>
    public void HandOff(long jobId) => _handedOff.Add(jobId);

    public async Task<List<T>> QueryAsync<T>(string sql, object? parameters, CancellationToken cancellationToken)
    {
        var decision = Decision ?? throw new InvalidOperationException(
            "This endpoint reads without declaring it: add .ReadsUserData(...) or .ReadsSharedData() to its mapping.");

        if (decision.Replica is { } name && sources.Replica(name) is { } replica)
        {
            try
            {
                var rows = await QueryReplicaAsync<T>(replica, decision.RequiredLsn, sql, parameters, cancellationToken);
                if (rows is not null)
                {
                    ServedBy = name;
                    Served(ReadSources.Replica(name), decision.Reason);
                    return rows;
                }

                // A near miss: the decision trusted a replay position the replica no longer showed at read time.
                LogGuardFallback(logger, name, decision.RequiredLsn.ToString());
                instruments.ReadFellBack(RoutingReasons.GuardFallback, name);
                return await QueryPrimaryAsync<T>(sql, parameters, RoutingReasons.GuardFallback, cancellationToken);
            }
            catch (NpgsqlException ex)
            {
                LogReplicaFailed(logger, name, ex.Message);
                instruments.ReadFellBack(RoutingReasons.ReplicasUnavailable, name);
                return await QueryPrimaryAsync<T>(sql, parameters, RoutingReasons.ReplicasUnavailable, cancellationToken);
            }
        }

        if (IsFallback(decision.Reason))
        {
            instruments.ReadFellBack(decision.Reason, null);
        }

        return await QueryPrimaryAsync<T>(sql, parameters, decision.Reason, cancellationToken);
    }

    public async Task<T?> QuerySingleOrDefaultAsync<T>(string sql, object? parameters, CancellationToken cancellationToken) =>
        (await QueryAsync<T>(sql, parameters, cancellationToken)).SingleOrDefault();

    /// <summary>Runs a write on the primary; it must have committed when <paramref name="write"/> returns.</summary>
    public async Task<T> WriteAsync<T>(Func<NpgsqlConnection, Task<T>> write, CancellationToken cancellationToken)
    {
        await using var connection = await sources.Primary.OpenConnectionAsync(cancellationToken);
        var result = await write(connection);
        Wrote = true;
        return result;
    }

    private async Task<List<T>?> QueryReplicaAsync<T>(NpgsqlDataSource replica, Lsn required, string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await replica.OpenConnectionAsync(cancellationToken);
        var guarded = required != Lsn.Zero;
        var batch = new DynamicParameters(parameters);
        if (guarded)
        {
            batch.Add("orleansraw_required_lsn", required.ToString());
        }

        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            (guarded ? GuardSql + ";\n" : "") + sql + ";\n" + ReplicaPositionSql, batch, cancellationToken: cancellationToken));
        if (guarded && !await results.ReadSingleAsync<bool>())
        {
            return null;
        }

        var rows = (await results.ReadAsync<T>()).AsList();
        ServedAt = Lsn.Parse(await results.ReadSingleAsync<string>());
        return rows;
    }

    private async Task<List<T>> QueryPrimaryAsync<T>(string sql, object? parameters, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await sources.Primary.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            sql + ";\n" + PrimaryPositionSql, parameters, cancellationToken: cancellationToken));
        var rows = (await results.ReadAsync<T>()).AsList();
        ServedAt = Lsn.Parse(await results.ReadSingleAsync<string>()).ToWrittenEnd();
        ServedBy = null;
        Served(ReadSources.Primary, reason);
        return rows;
    }

    private void Served(string source, string reason)
    {
        ReadSource = source;
        ReadReason = reason;
        instruments.ReadServed(source, reason);
    }

    // The decisions that send a read to the primary only because no replica could serve it safely in time.
    private static bool IsFallback(string reason) =>
        reason is RoutingReasons.FallbackTimeout or RoutingReasons.ReplicasUnavailable or RoutingReasons.DecisionUnavailable;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Guard fallback: replica {Replica} had not replayed {Lsn} at read time; read the primary instead")]
    private static partial void LogGuardFallback(ILogger logger, string replica, string lsn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {Replica} failed a read, read the primary instead: {Error}")]
    private static partial void LogReplicaFailed(ILogger logger, string replica, string error);
}
