using Dapper;
using Npgsql;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The SQL of <c>orleansraw_idempotency_keys</c> (the library's migration 0002). A keyed write claims its key as the
/// first statements of its transaction, so a concurrent duplicate's insert waits on the primary key until the first
/// transaction ends: if it committed, the duplicate fails with a unique violation having written nothing, and reads the
/// stored outcome; if it rolled back, the duplicate's claim succeeds and it writes instead. An uncommitted claim is
/// never visible.
/// </summary>
internal static class IdempotencyKeyStore
{
    private const string PrimaryKey = "orleansraw_idempotency_keys_pkey";
    private const string UniqueViolation = "23505";

    // An expired row of the same key is deleted in the claiming transaction, so an expired key is free at once.
    public const string ClaimSql =
        """
        DELETE FROM orleansraw_idempotency_keys WHERE user_id = @orleansraw_key_user AND idempotency_key = @orleansraw_key AND expires_at < now();
        INSERT INTO orleansraw_idempotency_keys (user_id, idempotency_key, fingerprint, expires_at)
        VALUES (@orleansraw_key_user, @orleansraw_key, @orleansraw_key_fingerprint, now() + @orleansraw_key_keep_for);

        """;

    public const string StoreOutcomeSql =
        """
        UPDATE orleansraw_idempotency_keys SET status = @status, content_type = @contentType, location = @location, body = @body
        WHERE user_id = @orleansraw_key_user AND idempotency_key = @orleansraw_key;

        """;

    // After a failed claim the transaction is aborted: end it, then read what the key holds.
    public const string LookupSql =
        """
        ROLLBACK;
        SELECT fingerprint AS Fingerprint, status AS Status, content_type AS ContentType, location AS Location, body AS Body
        FROM orleansraw_idempotency_keys WHERE user_id = @orleansraw_key_user AND idempotency_key = @orleansraw_key;

        """;

    private const string DeleteExpiredSql =
        """
        DELETE FROM orleansraw_idempotency_keys WHERE ctid = ANY(ARRAY(
            SELECT ctid FROM orleansraw_idempotency_keys WHERE expires_at < now() LIMIT @batch))
        """;

    public static DynamicParameters Parameters(IdempotentRequest key, object? others = null)
    {
        var parameters = new DynamicParameters(others);
        // The column is text: user ids are the claim's text.
        parameters.Add("orleansraw_key_user", key.UserId);
        parameters.Add("orleansraw_key", key.Key);
        parameters.Add("orleansraw_key_fingerprint", key.Fingerprint);
        parameters.Add("orleansraw_key_keep_for", key.KeepFor);
        return parameters;
    }

    public static DynamicParameters OutcomeParameters(IdempotentRequest key, StoredOutcome outcome)
    {
        var parameters = Parameters(key);
        parameters.Add("status", (short)outcome.Status);
        parameters.Add("contentType", outcome.ContentType);
        parameters.Add("location", outcome.Location);
        parameters.Add("body", outcome.Body);
        return parameters;
    }

    /// <summary>True when a claim failed because the key is taken (a committed row of another request with it).</summary>
    public static bool IsTaken(PostgresException ex) => ex.SqlState == UniqueViolation && ex.ConstraintName == PrimaryKey;

    /// <summary>What a taken key means for <paramref name="key"/>'s request.</summary>
    public static IdempotencyKeyUsedException Used(IdempotentRequest key, StoredRow? row) => row switch
    {
        null or { Status: null } => new(KeyUse.Unfinished, null),
        _ when !row.Fingerprint.AsSpan().SequenceEqual(key.Fingerprint) => new(KeyUse.OtherRequest, null),
        _ => new(KeyUse.SameRequest, new StoredOutcome(row.Status.Value, row.ContentType, row.Location, row.Body ?? [])),
    };

    /// <summary>Deletes expired keys in batches; the number deleted.</summary>
    public static async Task<int> DeleteExpiredAsync(NpgsqlDataSource primary, CancellationToken cancellationToken, int batch = 5000)
    {
        var total = 0;
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        int deleted;
        do
        {
            deleted = await connection.ExecuteAsync(new CommandDefinition(DeleteExpiredSql, new { batch }, cancellationToken: cancellationToken));
            total += deleted;
        }
        while (deleted == batch);

        return total;
    }

    /// <summary>A key's row as read back after a failed claim.</summary>
    public sealed record StoredRow(byte[] Fingerprint, short? Status, string? ContentType, string? Location, byte[]? Body);
}
