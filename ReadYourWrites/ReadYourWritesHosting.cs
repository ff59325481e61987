using System.Reflection;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace OrleansRaw.ReadYourWrites;

/// <summary>Turns read-your-writes on in an ASP.NET Core app: the services, the request pipeline, the Orleans client.</summary>
public static class ReadYourWritesHosting
{
    /// <summary>
    /// Registers routing, write recording, tokens and the routed database, bound from the <c>Consistency</c>,
    /// <c>Database</c> and <c>Idempotency</c> sections and validated at start; <paramref name="configure"/> runs after
    /// binding (to take the token secret from the app's own settings, say). Needs an Orleans client in the app
    /// (<see cref="UseOrleansRawClient"/>, or the app's own) on a cluster that runs <c>AddOrleansRawGrains</c>.
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
        services.AddOptions<IdempotencyOptions>().Bind(configuration.GetSection(IdempotencyOptions.SectionName))
            .ValidateDataAnnotations().ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DataSources>();
        services.AddSingleton<CriticalReadBulkhead>();
        services.AddSingleton<ReplicaPauses>();
        services.AddSingleton<ReplayProofs>();
        services.AddSingleton(sp => new RoutingPolicy(sp.GetRequiredService<IOptions<ConsistencyOptions>>().Value));
        services.AddSingleton<ReplicaSnapshotFeed>();
        services.AddSingleton<StrongReadLimiter>();
        services.AddSingleton<ConsistencyTokens>();
        services.AddSingleton<CallerIds>();
        services.AddSingleton<ConsistencyGate>();
        services.AddSingleton<ConsistentReads>();
        services.AddSingleton<ReadYourWritesMetrics>();
        services.AddScoped<ConsistencyContext>();
        services.AddScoped<RoutedDatabase>();

        // Hosted services start in the order they were added: this library's schema comes before any app's.
        // Added as plain IHostedService registrations: AddHostedService keeps one per implementation type, and the app's
        // own migrations come as a second SchemaMigration.
        services.AddSingleton<IHostedService>(sp => new SchemaMigration(sp.GetRequiredService<DataSources>(), SchemaMigrator.ApplyLibraryAsync));
        services.AddHostedService<ExpiredKeyCleanup>();
        addRouting(services);
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
        services.AddHostedService(sp => sp.GetRequiredService<ReplicaSnapshotFeed>());
    }

    /// <summary>
    /// Applies the app's own migrations at start, after this library's: the SQL files embedded in
    /// <paramref name="assembly"/> under <paramref name="resourcePrefix"/>, once each, in name order.
    /// </summary>
    public static IServiceCollection AddSchemaMigrations(this IServiceCollection services, Assembly assembly, string resourcePrefix) =>
        services.AddSingleton<IHostedService>(sp => new SchemaMigration(sp.GetRequiredService<DataSources>(),
            (primary, cancellationToken) => SchemaMigrator.ApplyAsync(primary, assembly, resourcePrefix, cancellationToken: cancellationToken)));

    /// <summary>
    /// The request pipeline's part: keeps the body of a request with an <c>Idempotency-Key</c> readable after binding,
    /// for its fingerprint (up to <paramref name="maxKeyedBodyBytes"/> in memory). Requests without the header are not touched.
    /// </summary>
    public static IApplicationBuilder UseReadYourWrites(this IApplicationBuilder app, long maxKeyedBodyBytes = 64 * 1024) =>
        app.Use((context, next) =>
        {
            if (context.Request.Headers.ContainsKey(IdempotencyHeaders.Key))
            {
                context.Request.EnableBuffering(bufferThreshold: (int)Math.Min(maxKeyedBodyBytes, int.MaxValue));
            }

            return next(context);
        });

    /// <summary>
    /// An Orleans client on the cluster the <c>Orleans</c> section names, found through the Redis the <c>Redis</c>
    /// section names (the same settings the silos read), propagating trace context through grain calls;
    /// <paramref name="configure"/> adds to it.
    /// </summary>
    public static IHostApplicationBuilder UseOrleansRawClient(this IHostApplicationBuilder builder, Action<IClientBuilder>? configure = null)
    {
        var (cluster, redis) = builder.Configuration.ClusterConnection();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            client.UseRedisClustering(redis.ConnectionString);
            // Grain calls carry the caller's trace context, so a read's lease call shows in its trace on both sides.
            // Orleans creates no span while no tracer listens.
            client.AddActivityPropagation();
            configure?.Invoke(client);
        });
        return builder;
    }
}
