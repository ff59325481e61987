using Dapper;
using Npgsql;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Applies sets of embedded, numbered SQL files to the primary, once each, in order, recording each as its owner (the
/// assembly) and version (the file name) in <c>orleansraw_schema_migrations</c>: this library's own set first, then
/// any an app adds with <see cref="ReadYourWritesHosting.AddSchemaMigrations(IServiceCollection, System.Reflection.Assembly, string)"/>.
/// On a database an older version migrated (one <c>schema_migrations</c> table of bare file names, the library's table
/// <c>idempotency_keys</c>) it first carries the record over, once: see <see cref="UpgradeFromLegacyAsync"/>.
/// </summary>
internal static partial class SchemaMigrator
{
    /// <summary>The script an app's own migration tool applies, as the package carries it (the repository: <c>scripts/sql/</c>).</summary>
    public const string ScriptInPackage = "sql/orleansraw-schema.sql";

    // Any constant works; it only has to be the same in every API process that migrates at start.
    private const long MigrationLockKey = 0x4F524C52_4157;

    // No statement timeout here: waiting for another instance's migration, or a migration itself, may take long, and
    // the data source's short command timeout is meant for requests.
    private const int NoTimeout = 0;

    // What the older versions left: their bookkeeping (versions as bare file names, the library's as orleansraw/NNNN_…)
    // and the library's table with its unprefixed name.
    private const string LegacyLibraryPrefix = "orleansraw/";
    private const string LegacyKeysVersion = "0002_idempotency_keys";

    private const string CreateBookkeepingSql =
        """
        CREATE TABLE orleansraw_schema_migrations (
            owner       text        NOT NULL,
            version     text        NOT NULL,
            checksum    text,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (owner, version)
        )
        """;

    private const string RecordSql =
        "INSERT INTO orleansraw_schema_migrations (owner, version, checksum) VALUES (@owner, @version, @checksum)";

    // Only a table with the older versions' columns is theirs: another tool's schema_migrations is left alone.
    private const string HasLegacyBookkeepingSql =
        """
        SELECT count(*) = 2 FROM pg_attribute
        WHERE attrelid = to_regclass('schema_migrations') AND NOT attisdropped
          AND ((attname = 'version' AND atttypid = 'text'::regtype) OR (attname = 'applied_at' AND atttypid = 'timestamptz'::regtype))
        """;

    // Keys still in force keep their answers across the upgrade; the older versions' table is left to the operator.
    private const string CopyLegacyKeysSql =
        """
        INSERT INTO orleansraw_idempotency_keys
            (user_id, idempotency_key, fingerprint, status, content_type, location, body, created_at, expires_at)
        SELECT user_id::text, idempotency_key, fingerprint, status, content_type, location, body, created_at, expires_at
        FROM idempotency_keys WHERE expires_at > now()
        ON CONFLICT DO NOTHING
        """;

    /// <summary>
    /// Applies <paramref name="sets"/> (this library's first) under an advisory lock, so API servers starting together
    /// migrate one at a time. Every set's files are read and checked before the database is touched.
    /// </summary>
    public static async Task ApplyAsync(NpgsqlDataSource primary, IReadOnlyList<MigrationSet> sets, ILogger logger,
        CancellationToken cancellationToken = default)
    {
        var loaded = Load(sets);
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@MigrationLockKey)", new { MigrationLockKey }, commandTimeout: NoTimeout, cancellationToken: cancellationToken));
        try
        {
            if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    "SELECT to_regclass('orleansraw_schema_migrations') IS NOT NULL", cancellationToken: cancellationToken)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(CreateBookkeepingSql, transaction: transaction, cancellationToken: cancellationToken));
                if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(HasLegacyBookkeepingSql, transaction: transaction, cancellationToken: cancellationToken)))
                {
                    await UpgradeFromLegacyAsync(connection, transaction, loaded, logger, cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
            }

            var applied = (await connection.QueryAsync<(string Owner, string Version, string? Checksum)>(new CommandDefinition(
                    "SELECT owner, version, checksum FROM orleansraw_schema_migrations", cancellationToken: cancellationToken)))
                .ToDictionary(r => (r.Owner, r.Version), r => r.Checksum);

            foreach (var (set, migrations) in loaded)
            {
                foreach (var migration in migrations)
                {
                    if (applied.TryGetValue((set.Owner, migration.Version), out var checksum))
                    {
                        // Versions carried over from the older bookkeeping have no checksum.
                        if (checksum is not null && checksum != migration.Checksum)
                        {
                            throw new InvalidOperationException(
                                $"Migration {set.Owner}/{migration.Version} was applied, and its file has changed since: an applied " +
                                "migration must not change. Restore the file as it was and put the change in a new file with the next number.");
                        }

                        continue;
                    }

                    try
                    {
                        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                        await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, commandTimeout: NoTimeout, cancellationToken: cancellationToken));
                        await connection.ExecuteAsync(new CommandDefinition(RecordSql,
                            new { owner = set.Owner, version = migration.Version, checksum = migration.Checksum }, transaction, cancellationToken: cancellationToken));
                        await transaction.CommitAsync(cancellationToken);
                    }
                    catch (PostgresException e)
                    {
                        throw Failed(set.Owner, migration.Version, e,
                            [.. applied.Keys.Where(k => k.Version == migration.Version && loaded.All(l => l.Set.Owner != k.Owner)).Select(k => k.Owner)]);
                    }

                    LogApplied(logger, set.Owner, migration.Version);
                }
            }
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@MigrationLockKey)", new { MigrationLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    /// <summary>
    /// With <c>Database:ApplyMigrations=false</c>: throws, naming the script to apply, unless the library's table and
    /// function are on the primary.
    /// </summary>
    public static async Task CheckLibrarySchemaAsync(NpgsqlDataSource primary, CancellationToken cancellationToken = default)
    {
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        var (keys, wait) = await connection.QuerySingleAsync<(bool, bool)>(new CommandDefinition(
            """
            SELECT to_regclass('orleansraw_idempotency_keys') IS NOT NULL,
                   to_regprocedure('orleansraw_wait_replay(pg_lsn, integer)') IS NOT NULL
            """, cancellationToken: cancellationToken));
        var missing = new List<string>();
        if (!keys)
        {
            missing.Add("the table orleansraw_idempotency_keys");
        }

        if (!wait)
        {
            missing.Add("the function orleansraw_wait_replay(pg_lsn, integer)");
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"Database:ApplyMigrations is false, and the primary lacks {string.Join(" and ", missing)}. Apply this library's " +
                $"schema with your migration tool ({ScriptInPackage} in the OrleansRaw.ReadYourWrites package, " +
                "scripts/sql/orleansraw-schema.sql in its repository), or set Database:ApplyMigrations=true to let the API apply it.");
        }
    }

    /// <summary>
    /// A migration that failed, named; when an assembly not migrating now recorded a file of that name, most likely this
    /// one under its former name (versions are recorded per assembly name), with the statement that carries its record over.
    /// </summary>
    private static InvalidOperationException Failed(string owner, string version, PostgresException error, IReadOnlyList<string> others)
    {
        var message = $"Migration {owner}/{version} failed, and was not recorded: {error.Message}.";
        if (others.Count > 0)
        {
            var former = others.Count == 1 ? others[0].Replace("'", "''", StringComparison.Ordinal) : "<the former name>";
            message += $" The database records {string.Join(" and ", others.Select(o => $"{o}/{version}"))}: migrations are recorded per " +
                $"assembly name, so if {string.Join(" or ", others)} is this assembly before a rename, its files ran already. Carry its record " +
                $"over to the new name with UPDATE orleansraw_schema_migrations SET owner = '{owner.Replace("'", "''", StringComparison.Ordinal)}' " +
                $"WHERE owner = '{former}' and start again.";
        }

        return new InvalidOperationException(message, error);
    }

    private static List<(MigrationSet Set, IReadOnlyList<Migration> Migrations)> Load(IReadOnlyList<MigrationSet> sets)
    {
        if (sets.GroupBy(s => s.Owner, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new InvalidOperationException(
                $"AddSchemaMigrations: {twice.Key} has more than one set of migrations; versions are recorded per assembly, " +
                "so keep one Migrations folder per assembly.");
        }

        return [.. sets.Select(s => (s, s.Load()))];
    }

    /// <summary>
    /// Carries an older version's record into <c>orleansraw_schema_migrations</c>, once, in the transaction that creates
    /// it. An app's bare version (<c>0001_initial</c>) goes to the one app set with that file (a version written as
    /// <c>Owner/0001_initial</c> goes to that owner); a name two sets have is refused, since the older layout applied only
    /// one of them. The library's own versions are not carried over: its migrations are idempotent and run again under the
    /// new names, and the keys still in force are copied from <c>idempotency_keys</c>. The older tables stay as they were,
    /// for instances of the older version still running; drop them once none is.
    /// </summary>
    private static async Task UpgradeFromLegacyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        List<(MigrationSet Set, IReadOnlyList<Migration> Migrations)> loaded, ILogger logger, CancellationToken cancellationToken)
    {
        var legacy = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT version FROM schema_migrations ORDER BY version", transaction: transaction, cancellationToken: cancellationToken))).ToList();
        var apps = loaded.Where(l => l.Set != MigrationSet.Library).ToList();
        var imported = 0;
        foreach (var version in legacy.Where(v => !v.StartsWith(LegacyLibraryPrefix, StringComparison.Ordinal)))
        {
            var slash = version.IndexOf('/', StringComparison.Ordinal);
            var (owner, file) = slash < 0 ? (null, version) : (version[..slash], version[(slash + 1)..]);
            var having = apps.Where(a => (owner is null || a.Set.Owner == owner) && a.Migrations.Any(m => m.Version == file)).ToList();
            if (having.Count > 1)
            {
                throw new InvalidOperationException(
                    $"Upgrading the migration record: schema_migrations holds \"{version}\", a file {string.Join(" and ", having.Select(h => h.Set.Owner))} " +
                    "both have, and the older versions applied only the first of them. Record which one ran " +
                    $"(UPDATE schema_migrations SET version = '{having[0].Set.Owner}/{file}' WHERE version = '{version}', with that owner), " +
                    "and start again: the other one is then applied.");
            }

            if (having.Count == 1)
            {
                await connection.ExecuteAsync(new CommandDefinition(RecordSql,
                    new { owner = having[0].Set.Owner, version = file, checksum = (string?)null }, transaction, cancellationToken: cancellationToken));
                imported++;
            }
        }

        var copied = 0;
        var keys = MigrationSet.Library.Load().Single(m => m.Version == LegacyKeysVersion);
        if (legacy.Contains(LegacyLibraryPrefix + LegacyKeysVersion)
            && await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT to_regclass('idempotency_keys') IS NOT NULL", transaction: transaction, cancellationToken: cancellationToken)))
        {
            await connection.ExecuteAsync(new CommandDefinition(keys.Sql, transaction: transaction, commandTimeout: NoTimeout, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(RecordSql,
                new { owner = MigrationSet.Library.Owner, version = keys.Version, checksum = keys.Checksum }, transaction, cancellationToken: cancellationToken));
            copied = await connection.ExecuteAsync(new CommandDefinition(CopyLegacyKeysSql, transaction: transaction, commandTimeout: NoTimeout, cancellationToken: cancellationToken));
        }

        LogUpgraded(logger, imported, copied);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Owner}/{Version}")]
    private static partial void LogApplied(ILogger logger, string owner, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upgraded the migration record from an older version: {Imported} versions carried from " +
        "schema_migrations into orleansraw_schema_migrations, {Copied} idempotency keys copied into orleansraw_idempotency_keys. " +
        "Drop schema_migrations and idempotency_keys once no instance of the older version runs")]
    private static partial void LogUpgraded(ILogger logger, int imported, int copied);
}
