using Dapper;
using Npgsql;

namespace OrleansRaw.WebApi.Data;

/// <summary>Applies the embedded, numbered SQL files in <c>Data/Migrations</c> to the primary, once each, in order.</summary>
public static partial class SchemaMigrator
{
    // Any constant works; it only has to be the same in every API process that migrates at start.
    private const long MigrationLockKey = 0x4F524C52_4157;

    // No statement timeout here: waiting for another instance's migration, or a migration itself, may take long, and
    // the data source's short command timeout is meant for requests.
    private const int NoTimeout = 0;

    public static async Task ApplyAsync(NpgsqlDataSource primary, CancellationToken cancellationToken = default)
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

            foreach (var (version, sql) in Migrations().Where(m => !applied.Contains(m.Version)))
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

    private static IEnumerable<(string Version, string Sql)> Migrations()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        const string prefix = "OrleansRaw.WebApi.Data.Migrations.";
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return (Path.GetFileNameWithoutExtension(name[prefix.Length..]), reader.ReadToEnd());
        }
    }
}
