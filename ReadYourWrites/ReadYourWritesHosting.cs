using System.Reflection;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OrleansRaw.ReadYourWrites;

/// <summary>Turns read-your-writes on in an ASP.NET Core app: the services and the request pipeline.</summary>
public static class ReadYourWritesHosting
{
    /// <summary>
    /// Registers routing, write recording, tokens and the routed database, bound from the <c>Consistency</c>,
    /// <c>Database</c> and <c>Idempotency</c> sections and validated at start; <paramref name="configure"/> runs after
    /// binding (to take the token secret from the app's own settings, say). Needs an Orleans client in the app
    /// (<c>UseOrleansRawClient</c> of OrleansRaw.Hosting.Redis, or the app's own) on a cluster that runs <c>AddOrleansRawGrains</c>.
    /// The PostgreSQL nodes are the <c>Database</c> section's connection strings, or keyed <c>NpgsqlDataSource</c>s the
    /// app registered and names there (<see cref="DatabaseOptions.PrimaryDataSource"/> says what they must be configured
    /// with).
    /// </summary>
    public static IServiceCollection AddReadYourWrites(this IServiceCollection services, IConfiguration configuration,
        Action<ConsistencyOptions>? configure = null) =>
        services.AddReadYourWrites(configuration, configure, AddClusterRouting);

    /// <summary>
    /// The layer with <paramref name="addRouting"/> registering how reads are routed and writes recorded
    /// (<see cref="IReadRouting"/>, <see cref="IWriteRecording"/>) in place of the cluster's. Internal: for this
    /// repository's benchmark baseline, which measures the same HTTP contract without the routing's cost.
    /// </summary>
    internal static IServiceCollection AddReadYourWrites(this IServiceCollection services, IConfiguration configuration,
        Action<ConsistencyOptions>? configure, Action<IServiceCollection> addRouting)
    {
        var consistency = services.AddConsistencyOptions(configuration);
        if (configure is not null)
        {
            consistency.Configure(configure);
        }

        consistency.Validate(o => Encoding.UTF8.GetByteCount(o.TokenSigningKey) >= 32,
            "Consistency:TokenSigningKey must be a secret of at least 32 bytes: it signs the consistency tokens clients carry");
        services.AddDatabaseOptions(configuration);
        services.AddSettings<IdempotencyOptions>(configuration, IdempotencyOptions.SectionName, out _);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, KeyedBodyBuffering>();
        services.AddSingleton(sp => new DataSources(sp.GetRequiredService<IOptions<DatabaseOptions>>(), sp));
        services.AddSingleton<CriticalReadBulkhead>();
        services.AddSingleton<ReplicaPauses>();
        services.AddSingleton<ReplayProofs>();
        services.TryAddSingleton(sp => new RoutingPolicy(sp.GetRequiredService<IOptions<ConsistencyOptions>>().Value));
        services.TryAddSingleton<ReplicaSnapshotFeed>();
        services.AddSingleton<StrongReadLimiter>();
        services.AddSingleton<ConsistencyTokens>();
        services.AddSingleton<CallerIds>();
        services.AddSingleton<ConsistencyGate>();
        // Their constructors are internal (what they take is not the app's business), which DI does not call by itself.
        services.AddSingleton(sp => new ConsistentReads(sp.GetRequiredService<IServiceScopeFactory>(), sp.GetRequiredService<ConsistencyTokens>()));
        services.AddSingleton<ReadYourWritesMetrics>();
        services.AddSingleton(sp => new ReplicaMonitor(sp.GetRequiredService<IGrainFactory>()));
        services.AddScoped<ConsistencyContext>();
        services.AddScoped(sp => new RoutedDatabase(sp.GetRequiredService<ConsistencyContext>(), sp.GetRequiredService<DataSources>(),
            sp.GetRequiredService<CriticalReadBulkhead>(), sp.GetRequiredService<ReplicaPauses>(),
            sp.GetRequiredService<IOptions<DatabaseOptions>>(), sp.GetRequiredService<ReadYourWritesMetrics>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RoutedDatabase>>()));

        // One migration service for this library's set and every set AddSchemaMigrations adds, before or after this call.
        services.AddHostedService<SchemaMigration>();
        services.AddHostedService<ExpiredKeyCleanup>();
        addRouting(services);
        // After the routing, and made by a factory: the metrics follow the replica feed, whose registration names the
        // fix when the app has no Orleans client; a constructor the container resolves itself would fail first, bare.
        services.AddHostedService(sp => new MetricsAtStart(sp.GetRequiredService<ReadYourWritesMetrics>(), sp.GetRequiredService<IHostApplicationLifetime>()));
        return services;
    }

    // Routing through the cluster: the user's state leased from their grain, writes recorded there, the replica
    // monitor's snapshot followed (its feed starts after the schema, as the last hosted service of the layer).
    private static void AddClusterRouting(IServiceCollection services)
    {
        services.AddSingleton<ReaderLeases>();
        services.AddSingleton<ReadRouter>();
        services.AddSingleton<IReadRouting>(sp => sp.GetRequiredService<ReadRouter>());
        services.AddSingleton<WriteRecorder>();
        services.AddSingleton<IWriteRecording>(sp => sp.GetRequiredService<WriteRecorder>());
        services.AddHostedService(sp => sp.GetService<IGrainFactory>() is null
            ? throw new InvalidOperationException(NoOrleansClient)
            : sp.GetRequiredService<ReplicaSnapshotFeed>());
    }

    /// <summary>
    /// Applies the app's own migrations at start, after this library's: the <c>NNNN_name.sql</c> files embedded in
    /// <paramref name="assembly"/> under <paramref name="resourcePrefix"/> (<c>&lt;RootNamespace&gt;.Data.Migrations.</c>
    /// for <c>&lt;EmbeddedResource Include="Data\Migrations\*.sql" /&gt;</c>), once each, in name order, recorded
    /// under the assembly's name. The host fails to start, naming the assembly's resources, when the prefix matches no
    /// <c>.sql</c> file, and when a file is misnamed or an applied one has changed.
    /// </summary>
    public static IServiceCollection AddSchemaMigrations(this IServiceCollection services, Assembly assembly, string resourcePrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(resourcePrefix);
        return services.AddSingleton(new MigrationSet(assembly, resourcePrefix));
    }

    /// <summary>
    /// As <see cref="AddSchemaMigrations(IServiceCollection, Assembly, string)"/>, for the <c>.sql</c> files in the one
    /// folder named <c>Migrations</c> that <paramref name="assembly"/> embeds (any depth, e.g. <c>Data/Migrations</c>).
    /// </summary>
    public static IServiceCollection AddSchemaMigrations(this IServiceCollection services, Assembly assembly) =>
        services.AddSingleton(new MigrationSet(assembly, null));

    // The first thing that needs a grain is the replica feed, made as the host starts: without a client, Microsoft's
    // "unable to resolve IGrainFactory" would say what is missing but not how to get it.
    private const string NoOrleansClient =
        "AddReadYourWrites needs an Orleans client on the cluster that runs AddOrleansRawGrains, and this app has none: "
        + "call builder.UseOrleansRawClient() (package OrleansRaw.Hosting.Redis: Redis clustering on the Orleans and Redis sections), or "
        + "builder.UseOrleansClient(...) with your clustering, or make the app a silo itself with "
        + "builder.UseOrleans(silo => silo.AddOrleansRawGrains(builder.Configuration))";
}
