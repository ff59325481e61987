using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansRaw.ReadYourWrites;

namespace OrleansRaw.WebApi.Jobs;

/// <summary>
/// Keeps <c>user_stats.post_count</c> from the <c>jobs</c> queue. It is not the user, so it has no grain to consult:
/// it claims jobs on the primary together with the primary's position, which is past every claimed job's commit (a row
/// is visible only once its commit record is in the WAL), and reads the triggering post as of that position — never
/// older than the write however far the replicas lag (the causal hand-off, with nothing handed over). Any number of
/// API processes may run it (SKIP LOCKED).
/// </summary>
public sealed partial class PostStatsWorker(
    IServiceScopeFactory scopes,
    ConsistentReads reads,
    IOptions<WorkerOptions> options,
    ILogger<PostStatsWorker> logger) : BackgroundService
{
    public const string PostCreated = "post-created";

    private sealed record Job(long Id, long UserId, long SubjectId, string ClaimedAt, string ClaimedInWalFile);

    private sealed record Outcome(long JobId, long UserId, bool SawSubject, long PostCount, string Source);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var processed = 0;
            try
            {
                processed = await ProcessBatchAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogBatchFailed(logger, ex.Message);
            }

            if (processed == 0)
            {
                await Task.Delay(options.Value.PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<int> ProcessBatchAsync(CancellationToken cancellationToken)
    {
        // The claim and the outcomes are one transaction on the primary: a write of several steps, as an endpoint's.
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RoutedDatabase>().WriteAsync(
            connection => ProcessBatchAsync(connection, cancellationToken), cancellationToken);
    }

    private async Task<int> ProcessBatchAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var jobs = (await connection.QueryAsync<Job>(new CommandDefinition(
            """
            SELECT id AS Id, user_id AS UserId, subject_id AS SubjectId, pg_current_wal_insert_lsn()::text AS ClaimedAt,
                   pg_walfile_name(pg_current_wal_insert_lsn()) AS ClaimedInWalFile
            FROM jobs
            WHERE processed_at IS NULL AND kind = @kind
            ORDER BY id LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """,
            new { kind = PostCreated, limit = settings.BatchSize }, transaction, cancellationToken: cancellationToken))).AsList();
        if (jobs.Count == 0)
        {
            return 0;
        }

        var outcomes = await Task.WhenAll(jobs.Select(job => ProcessAsync(job, cancellationToken)));
        foreach (var outcome in outcomes)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO user_stats AS s (user_id, post_count, updated_at) VALUES (@UserId, @PostCount, now())
                ON CONFLICT (user_id) DO UPDATE SET post_count = GREATEST(s.post_count, excluded.post_count), updated_at = now();
                UPDATE jobs SET processed_at = now(), saw_subject = @SawSubject, read_source = @Source WHERE id = @JobId;
                """,
                outcome, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return jobs.Count;
    }

    private async Task<Outcome> ProcessAsync(Job job, CancellationToken cancellationToken)
    {
        // The position the job was claimed at is the worker's proof of the write (without it: the naive read, for tests).
        var claimedAt = options.Value.ReadAsOfClaim ? WalPosition.FromServer(job.ClaimedAt, job.ClaimedInWalFile).ToWrittenEnd() : (WalPosition?)null;
        var (stats, source) = await reads.ReadAsOfAsync(claimedAt, Auth.CurrentUser.Text(job.UserId), async db =>
        {
            var stats = await db.QuerySingleOrDefaultAsync<(long Count, bool SawSubject)>(
                "SELECT count(*) AS Count, COALESCE(bool_or(id = @subject), false) AS SawSubject FROM posts WHERE user_id = @user",
                new { user = job.UserId, subject = job.SubjectId }, cancellationToken);
            return (stats, db.ReadSource ?? "?");
        }, options.Value.MaxReplicaWait, cancellationToken);
        if (!stats.SawSubject)
        {
            LogStaleRead(logger, job.Id, job.SubjectId, source);
        }

        return new Outcome(job.Id, job.UserId, stats.SawSubject, stats.Count, source);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker batch failed, retrying: {Error}")]
    private static partial void LogBatchFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} read from {Source} did not see post {PostId}: a stale read")]
    private static partial void LogStaleRead(ILogger logger, long jobId, long postId, string source);
}
