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
        Action<ConsistencyOptions>? configure = null)
    {
        var consistency = services.AddConsistencyOptions(configuration);
        if (configure is not null)
        {
            consistency.Configure(configure);
        }

        consistency.Validate(o => o.Direct || Encoding.UTF8.GetByteCount(o.TokenSigningKey) >= 32,
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
        services.AddSingleton<ReaderLeases>();
        services.AddSingleton<ReadRouter>();
        services.AddSingleton<StrongReadLimiter>();
        services.AddSingleton<ConsistencyTokens>();
        services.AddSingleton<CallerIds>();
        services.AddSingleton<WriteRecorder>();
        services.AddSingleton<ConsistencyGate>();
        // Their constructors are internal (what they take is not the app's business), which DI does not call by itself.
        services.AddSingleton(sp => new ConsistentReads(sp.GetRequiredService<IServiceScopeFactory>(),
            sp.GetRequiredService<ReadRouter>(), sp.GetRequiredService<ConsistencyTokens>()));
        services.AddSingleton<ReadYourWritesMetrics>();
        services.AddHostedService<MetricsAtStart>();
        services.AddSingleton(sp => new ReplicaMonitor(sp.GetRequiredService<IGrainFactory>()));
        services.AddScoped<ConsistencyContext>();
        services.AddScoped(sp => new RoutedDatabase(sp.GetRequiredService<ConsistencyContext>(), sp.GetRequiredService<DataSources>(),
            sp.GetRequiredService<CriticalReadBulkhead>(), sp.GetRequiredService<ReplicaPauses>(),
            sp.GetRequiredService<IOptions<DatabaseOptions>>(), sp.GetRequiredService<ReadYourWritesMetrics>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RoutedDatabase>>()));

        // Hosted services start in the order they were added: this library's schema comes before any app's.
        // Added as plain IHostedService registrations: AddHostedService keeps one per implementation type, and the app's
        // own migrations come as a second SchemaMigration.
        services.AddSingleton<IHostedService>(sp => new SchemaMigration(sp.GetRequiredService<DataSources>(), SchemaMigrator.ApplyLibraryAsync));
        services.AddHostedService<ExpiredKeyCleanup>();
        if (!configuration.GetValue<bool>($"{ConsistencyOptions.SectionName}:{nameof(ConsistencyOptions.Direct)}"))
        {
            // The Direct baseline has no replica monitor to follow.
            services.AddHostedService(sp => sp.GetRequiredService<ReplicaSnapshotFeed>());
        }

        return services;
    }

    /// <summary>
    /// Applies the app's own migrations at start, after this library's: the SQL files embedded in
    /// <paramref name="assembly"/> under <paramref name="resourcePrefix"/>, once each, in name order.
    /// </summary>
    public static IServiceCollection AddSchemaMigrations(this IServiceCollection services, Assembly assembly, string resourcePrefix) =>
        services.AddSingleton<IHostedService>(sp => new SchemaMigration(sp.GetRequiredService<DataSources>(),
            (primary, cancellationToken) => SchemaMigrator.ApplyAsync(primary, assembly, resourcePrefix, cancellationToken: cancellationToken)));
}
