using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OrleansRaw.Routing;

/// <summary>Binds and validates the settings silos and API servers share, the same way on both.</summary>
public static class OptionsRegistration
{
    /// <summary>The <c>Consistency</c> section, validated at start.</summary>
    public static OptionsBuilder<ConsistencyOptions> AddConsistencyOptions(this IServiceCollection services, IConfiguration configuration) =>
        services.AddOptions<ConsistencyOptions>().Bind(configuration.GetSection(ConsistencyOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.AutoGracePeriod || o.FixedGracePeriod >= TimeSpan.Zero, "Consistency:GracePeriod is invalid")
            .ValidateOnStart();

    /// <summary>The <c>Database</c> section, validated at start.</summary>
    public static OptionsBuilder<DatabaseOptions> AddDatabaseOptions(this IServiceCollection services, IConfiguration configuration) =>
        services.AddOptions<DatabaseOptions>().Bind(configuration.GetSection(DatabaseOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.NodesError() is null, "Database: a primary, and a unique Name and a ConnectionString for each of Replicas, are required")
            .ValidateOnStart();

    /// <summary>The <c>Orleans</c> cluster identity and the <c>Redis</c> connection, as configured (or their defaults).</summary>
    public static (ClusterConnectionOptions Cluster, RedisOptions Redis) ClusterConnection(this IConfiguration configuration) =>
        (configuration.GetSection(ClusterConnectionOptions.SectionName).Get<ClusterConnectionOptions>() ?? new(),
         configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>() ?? new());
}
