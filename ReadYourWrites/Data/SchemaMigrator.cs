using Dapper;
using System.Reflection;
using Npgsql;

namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// Applies a set of embedded, numbered SQL files to the primary, once each, in order, recording each in
/// <c>schema_migrations</c>: this library's own set (the replay-wait function, idempotency keys), and any an app
/// adds with <see cref="ReadYourWritesHosting.AddSchemaMigrations"/>.
/// </summary>
internal static class SchemaMigrator
{
    // Any constant works; it only has to be the same in every API process that migrates at start.
    private const long MigrationLockKey = 0x4F524C52_4157;

    // No statement timeout here: waiting for another instance's migration, or a migration itself, may take long, and
    // the data source's short command timeout is meant for requests.
    private const int NoTimeout = 0;

    /// <summary>This library's own set: versions are recorded with this prefix, apart from any app's.</summary>
    public const string LibraryVersionPrefix = "orleansraw/";

    /// <summary>This library's own migrations.</summary>
    public static Task ApplyLibraryAsync(NpgsqlDataSource primary, CancellationToken cancellationToken = default) =>
        ApplyAsync(primary, typeof(SchemaMigrator).Assembly, "OrleansRaw.ReadYourWrites.Data.Migrations.", LibraryVersionPrefix, cancellationToken);

    /// <summary>
    /// The SQL files embedded in <paramref name="assembly"/> whose resource names start with
    /// <paramref name="resourcePrefix"/>, in name order, each recorded as <paramref name="versionPrefix"/> + its file name.
    /// </summary>
    public static async Task ApplyAsync(NpgsqlDataSource primary, Assembly assembly, string resourcePrefix, string versionPrefix = "",
        CancellationToken cancellationToken = default)
    {
        await using var connection = await primary.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@MigrationLockKey)", new { MigrationLockKey }, commandTimeout: NoTimeout, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT version FROM schema_migrations", cancellationToken: cancellationToken))).ToHashSet();

            foreach (var (version, sql) in Migrations(assembly, resourcePrefix, versionPrefix).Where(m => !applied.Contains(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(sql, transaction: transaction, commandTimeout: NoTimeout, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (version) VALUES (@version)", new { version }, transaction, cancellationToken: cancellationToken));
                await transaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@MigrationLockKey)", new { MigrationLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    private static IEnumerable<(string Version, string Sql)> Migrations(Assembly assembly, string resourcePrefix, string versionPrefix)
    {
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(resourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return (versionPrefix + Path.GetFileNameWithoutExtension(name[resourcePrefix.Length..]), reader.ReadToEnd());
        }
    }
}
