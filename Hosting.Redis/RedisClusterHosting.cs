using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansRaw.Routing;
using StackExchange.Redis;

namespace OrleansRaw.Hosting;

/// <summary>
/// Orleans clustering on Redis from the settings every OrleansRaw host reads: the cluster's ids from the <c>Orleans</c>
/// section (<c>ClusterId</c>, <c>ServiceId</c>; Orleans' defaults when unset) and the Redis from the <c>Redis</c>
/// section (<see cref="RedisOptions"/>), so the silos and the API servers find each other from one configuration.
/// </summary>
public static class RedisClusterHosting
{
    /// <summary>
    /// An Orleans client on the cluster the <c>Orleans</c> section names, found through the Redis the <c>Redis</c>
    /// section names, propagating trace context through grain calls; <paramref name="configure"/> adds to it. By
    /// hand, on any clustering: <c>builder.UseOrleansClient(client =&gt; client.UseRedisClustering(...).AddActivityPropagation())</c>
    /// with the silos' <c>ClusterOptions</c>.
    /// </summary>
    public static IHostApplicationBuilder UseOrleansRawClient(this IHostApplicationBuilder builder, Action<IClientBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var cluster = builder.Configuration.ClusterConnection();
        var redis = Redis(builder.Configuration);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(cluster.ApplyTo);
            client.UseRedisClustering(redis.ConnectionString);
            // Grain calls carry the caller's trace context, so a read's lease call shows in its trace on both sides.
            // Orleans creates no span while no tracer listens.
            client.AddActivityPropagation();
            configure?.Invoke(client);
        });
        return builder;
    }

    /// <summary>
    /// The silo's side of <see cref="UseOrleansRawClient"/>: this silo joins the cluster the <c>Orleans</c> section
    /// names, with its membership in the Redis the <c>Redis</c> section names.
    /// </summary>
    public static ISiloBuilder UseOrleansRawRedisClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(configuration);
        var cluster = configuration.ClusterConnection();
        var redis = Redis(configuration);
        silo.Configure<ClusterOptions>(cluster.ApplyTo);
        return silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis.ConnectionString));
    }

    private static RedisOptions Redis(IConfiguration configuration) =>
        configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>() ?? new();
}
