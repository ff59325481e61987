using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansRaw.ReadYourWrites;
using OrleansRaw.Routing;
using OrleansRaw.Tests.Infrastructure;

namespace OrleansRaw.Tests.Library;

/// <summary>
/// Migrations against a real primary, each test in a database of its own: versions are per assembly, an applied file
/// may not change, the opt-out applies nothing and checks the library's schema, and a database an older version
/// migrated is carried over without applying anything twice.
/// </summary>
public sealed class SchemaMigrationTests
{
    private static readonly MigrationSet WebApi = ReplicatedPostgres.WebApiMigrations;
    private static readonly MigrationSet Tests = new(typeof(SchemaMigrationTests).Assembly, "OrleansRaw.Tests.Library.Migrations.");

    [Fact]
    public async Task TwoAssemblies_WithTheSameFirstFile_BothApply_UnderTheLibrarysOwnNames()
    {
        await using var db = await ScratchDatabase.CreateAsync();
        await SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, WebApi, Tests], NullLogger.Instance);
        await SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, WebApi, Tests], NullLogger.Instance);

        Assert.Equal(
        [
            "OrleansRaw.ReadYourWrites/0001_replay_wait", "OrleansRaw.ReadYourWrites/0002_idempotency_keys",
            "OrleansRaw.Tests/0001_initial",
            "WebApi/0001_initial", "WebApi/0002_jobs_and_user_stats", "WebApi/0003_replay_wait_and_job_positions",
        ], await db.VersionsAsync());
        Assert.Equal(["migration_test_notes", "orleansraw_idempotency_keys", "orleansraw_schema_migrations", "posts", "users"],
            (await db.TablesAsync()).Intersect(["migration_test_notes", "orleansraw_idempotency_keys", "orleansraw_schema_migrations", "posts", "users", "schema_migrations", "idempotency_keys"]));
        Assert.Equal("text", await db.ScalarAsync<string>(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'orleansraw_idempotency_keys'::regclass AND attname = 'user_id'"));
    }

    [Fact]
    public async Task AnAppliedFileThatChanged_FailsNamingIt()
    {
        await using var db = await ScratchDatabase.CreateAsync();
        await SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, Tests], NullLogger.Instance);
        await db.ExecuteAsync("UPDATE orleansraw_schema_migrations SET checksum = 'edited' WHERE owner = 'OrleansRaw.Tests'");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, Tests], NullLogger.Instance));
        Assert.Contains("OrleansRaw.Tests/0001_initial was applied, and its file has changed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARenamedAssembly_WhoseFilesRanUnderItsFormerName_FailsNamingBothAndTheUpdate()
    {
        await using var db = await ScratchDatabase.CreateAsync();
        await SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, Tests], NullLogger.Instance);
        var renamed = new MigrationSet(new RenamedAssembly(Tests.Assembly, "NotesCoHost"), Tests.ResourcePrefix);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, renamed], NullLogger.Instance));
        Assert.Contains("Migration NotesCoHost/0001_initial failed, and was not recorded: 42P07: relation \"migration_test_notes\" already exists",
            error.Message, StringComparison.Ordinal);
        Assert.Contains("The database records OrleansRaw.Tests/0001_initial", error.Message, StringComparison.Ordinal);
        const string Update = "UPDATE orleansraw_schema_migrations SET owner = 'NotesCoHost' WHERE owner = 'OrleansRaw.Tests'";
        Assert.Contains(Update, error.Message, StringComparison.Ordinal);
        Assert.Equal("42P07", Assert.IsType<PostgresException>(error.InnerException).SqlState);

        // The fix the message gives: the renamed assembly then starts without running its files again.
        await db.ExecuteAsync(Update);
        await SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, renamed], NullLogger.Instance);
        Assert.Contains("NotesCoHost/0001_initial", await db.VersionsAsync());
    }

    [Fact]
    public async Task OptOut_AppliesNothing_FailsWhileTheSchemaIsMissing_StartsOnceTheScriptRan()
    {
        await using var db = await ScratchDatabase.CreateAsync();
        var options = Options.Create(new DatabaseOptions { Primary = db.ConnectionString, ApplyMigrations = false });
        await using var sources = new DataSources(options, Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(new Microsoft.Extensions.DependencyInjection.ServiceCollection()));
        var migration = new SchemaMigration(sources, options, [], NullLogger<SchemaMigration>.Instance);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => migration.StartingAsync(CancellationToken.None));
        Assert.Contains("orleansraw_idempotency_keys and the function orleansraw_wait_replay(pg_lsn, integer)", error.Message, StringComparison.Ordinal);
        Assert.Contains("sql/orleansraw-schema.sql", error.Message, StringComparison.Ordinal);
        Assert.Empty(await db.TablesAsync());

        // As an app's migration tool would run it, twice (an upgrade runs it again).
        var script = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "scripts", "sql", "orleansraw-schema.sql"));
        await db.ExecuteAsync(script);
        await db.ExecuteAsync(script);

        await migration.StartingAsync(CancellationToken.None);
        Assert.Equal(["orleansraw_idempotency_keys"], await db.TablesAsync());
    }

    [Fact]
    public async Task ALegacyDatabase_IsCarriedOver_WithoutApplyingTheAppsMigrationsAgain()
    {
        await using var db = await ScratchDatabase.CreateAsync();
        await db.PrepareLegacyAsync(WebApi, "0001_initial", "0002_jobs_and_user_stats", "0003_replay_wait_and_job_positions");
        await db.ExecuteAsync("INSERT INTO schema_migrations (version) VALUES ('0004_idempotency_keys')");   // a file the demo no longer has
        await db.ExecuteAsync("INSERT INTO users (id, name) VALUES (1, 'kept')");

        // WebApi's 0001_initial creates its tables without IF NOT EXISTS: applied again, it would fail.
        await SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, WebApi], NullLogger.Instance);

        Assert.Equal(
        [
            "OrleansRaw.ReadYourWrites/0001_replay_wait", "OrleansRaw.ReadYourWrites/0002_idempotency_keys",
            "WebApi/0001_initial", "WebApi/0002_jobs_and_user_stats", "WebApi/0003_replay_wait_and_job_positions",
        ], await db.VersionsAsync());
        Assert.Equal("kept", await db.ScalarAsync<string>("SELECT name FROM users WHERE id = 1"));

        // The key in force answers as before under its new table; the expired one is not carried; the old tables stay.
        Assert.Equal(["7/in-force/201"], await db.QueryAsync<string>(
            "SELECT user_id || '/' || idempotency_key || '/' || status FROM orleansraw_idempotency_keys"));
        Assert.Equal(2, await db.ScalarAsync<long>("SELECT count(*) FROM idempotency_keys"));
        Assert.Equal(6, await db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));

        // An assembly added after the upgrade gets its own 0001_initial.
        await SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, WebApi, Tests], NullLogger.Instance);
        Assert.Contains("OrleansRaw.Tests/0001_initial", await db.VersionsAsync());
    }

    [Fact]
    public async Task ALegacyVersionTwoAssembliesHave_IsRefused_UntilItsOwnerIsRecorded()
    {
        await using var db = await ScratchDatabase.CreateAsync();
        await db.PrepareLegacyAsync(WebApi, "0001_initial");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, WebApi, Tests], NullLogger.Instance));
        Assert.Contains("\"0001_initial\", a file WebApi and OrleansRaw.Tests both have", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("orleansraw_schema_migrations", await db.TablesAsync());

        await db.ExecuteAsync("UPDATE schema_migrations SET version = 'WebApi/0001_initial' WHERE version = '0001_initial'");
        await SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, WebApi, Tests], NullLogger.Instance);
        Assert.Equal(
        [
            "OrleansRaw.ReadYourWrites/0001_replay_wait", "OrleansRaw.ReadYourWrites/0002_idempotency_keys",
            "OrleansRaw.Tests/0001_initial",
            "WebApi/0001_initial", "WebApi/0002_jobs_and_user_stats", "WebApi/0003_replay_wait_and_job_positions",
        ], await db.VersionsAsync());
        Assert.Null(await db.ScalarAsync<string>("SELECT checksum FROM orleansraw_schema_migrations WHERE owner = 'WebApi' AND version = '0001_initial'"));
    }

    [Fact]
    public async Task AnotherToolsSchemaMigrationsTable_IsLeftAlone()
    {
        await using var db = await ScratchDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (1, false)");

        await SchemaMigrator.ApplyAsync(db.Source, [MigrationSet.Library, Tests], NullLogger.Instance);

        Assert.Contains("OrleansRaw.Tests/0001_initial", await db.VersionsAsync());
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    /// <summary>An assembly under another name, as after a project's rename: the same embedded files.</summary>
    private sealed class RenamedAssembly(System.Reflection.Assembly assembly, string newName) : System.Reflection.Assembly
    {
        public override string FullName => newName;

        public override System.Reflection.AssemblyName GetName() => new(newName);

        public override string[] GetManifestResourceNames() => assembly.GetManifestResourceNames();

        public override Stream? GetManifestResourceStream(string name) => assembly.GetManifestResourceStream(name);
    }

    /// <summary>A database of the test primary's, made for one test and dropped after it.</summary>
    private sealed class ScratchDatabase : IAsyncDisposable
    {
        private readonly string _name;

        private ScratchDatabase(string name)
        {
            _name = name;
            ConnectionString = new NpgsqlConnectionStringBuilder(TestServices.Primary) { Database = name }.ConnectionString;
            Source = NpgsqlDataSource.Create(ConnectionString);
        }

        public string ConnectionString { get; }

        public NpgsqlDataSource Source { get; }

        public static async Task<ScratchDatabase> CreateAsync()
        {
            await TestServices.EnsureUpAsync();
            var name = "migrations_" + Guid.NewGuid().ToString("N")[..12];
            await using var admin = new NpgsqlConnection(TestServices.Primary);
            await admin.ExecuteAsync($"CREATE DATABASE {name}");
            return new ScratchDatabase(name);
        }

        /// <summary>
        /// The layout an older version left: one <c>schema_migrations</c> of bare names (the library's as
        /// <c>orleansraw/NNNN_…</c>), the library's unprefixed <c>idempotency_keys</c> with a key in force and an expired
        /// one, and <paramref name="app"/>'s <paramref name="applied"/> files run.
        /// </summary>
        public async Task PrepareLegacyAsync(MigrationSet app, params string[] applied)
        {
            await ExecuteAsync(
                """
                CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
                CREATE TABLE idempotency_keys (
                    user_id bigint NOT NULL, idempotency_key text NOT NULL, fingerprint bytea NOT NULL, status smallint,
                    content_type text, location text, body bytea, created_at timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz NOT NULL, CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, idempotency_key));
                INSERT INTO idempotency_keys (user_id, idempotency_key, fingerprint, status, body, expires_at) VALUES
                    (7, 'in-force', '\x01', 201, '\x7b7d', now() + interval '1 day'),
                    (7, 'expired', '\x02', 201, '\x7b7d', now() - interval '1 second');
                INSERT INTO schema_migrations (version) VALUES ('orleansraw/0001_replay_wait'), ('orleansraw/0002_idempotency_keys');
                """);
            foreach (var migration in app.Load().Where(m => applied.Contains(m.Version)))
            {
                await ExecuteAsync(migration.Sql);
                await ExecuteAsync("INSERT INTO schema_migrations (version) VALUES (@version)", new { version = migration.Version });
            }
        }

        public async Task<List<string>> VersionsAsync() =>
            await QueryAsync<string>("SELECT owner || '/' || version FROM orleansraw_schema_migrations ORDER BY 1");

        public async Task<List<string>> TablesAsync() =>
            await QueryAsync<string>("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");

        public async Task ExecuteAsync(string sql, object? parameters = null)
        {
            await using var connection = await Source.OpenConnectionAsync();
            await connection.ExecuteAsync(sql, parameters);
        }

        public async Task<T?> ScalarAsync<T>(string sql)
        {
            await using var connection = await Source.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<T>(sql);
        }

        public async Task<List<T>> QueryAsync<T>(string sql)
        {
            await using var connection = await Source.OpenConnectionAsync();
            return [.. await connection.QueryAsync<T>(sql)];
        }

        public async ValueTask DisposeAsync()
        {
            await Source.DisposeAsync();
            await using var admin = new NpgsqlConnection(TestServices.Primary);
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
        }
    }
}
