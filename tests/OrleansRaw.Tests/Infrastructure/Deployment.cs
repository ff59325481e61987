using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Dashboard;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansRaw.Grains.Hosting;
using StackExchange.Redis;

namespace OrleansRaw.Tests.Infrastructure;

/// <summary>
/// One system under test: an in-process Orleans cluster (grain state in the test Redis) plus the Web API hosted by
/// <see cref="WebApplicationFactory{TEntryPoint}"/> as that cluster's client, both pointed at the test PostgreSQL
/// (or at a service set of the test's own).
/// </summary>
public sealed class Deployment : IAsyncDisposable
{
    public const string SigningKey = "tests-only-signing-key-0123456789-abcdefghij";

    private readonly int _replicas;

    private Deployment(InProcessTestCluster cluster, IReadOnlyDictionary<string, string?> settings)
    {
        Cluster = cluster;
        Settings = settings;
        Api = new ApiFactory(cluster.Client, settings);
        _replicas = settings.Keys.Count(key => key.StartsWith("Database:Replicas:", StringComparison.Ordinal) && key.EndsWith(":Name", StringComparison.Ordinal));
    }

    public InProcessTestCluster Cluster { get; }

    public IReadOnlyDictionary<string, string?> Settings { get; }

    public WebApplicationFactory<Program> Api { get; }

    public IGrainFactory Grains => Cluster.Client;

    /// <summary>Settings shared by silos and API: the test databases, fast polling, and <paramref name="overrides"/>.</summary>
    public static Dictionary<string, string?> BaseSettings(IDictionary<string, string?>? overrides = null, ServiceSet? services = null)
    {
        services ??= TestServices.Default;
        var settings = new Dictionary<string, string?>(services.Settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
        {
            ["Consistency:Mode"] = "Lsn",
            ["ReplicaMonitor:PollInterval"] = "00:00:00.050",
            ["Auth:SigningKey"] = SigningKey,
            ["Auth:EnableDevTokens"] = "true",
            ["Orleans:UseHostedClient"] = "false",
            ["RateLimiting:WritesPerSecond"] = "10000",
            ["RateLimiting:WriteBurst"] = "10000",
            ["Consistency:StrongReadsPerSecond"] = "10000",
            ["Consistency:StrongReadBurst"] = "10000",
            // Only the worker tests run the background worker, so they know which worker took which job.
            ["Worker:Enabled"] = "false",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <param name="services">The PostgreSQL and Redis to use; the test run's shared set when null.</param>
    public static async Task<Deployment> StartAsync(short silos = 2, IDictionary<string, string?>? overrides = null, ServiceSet? services = null)
    {
        var settings = BaseSettings(overrides, services);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var serviceId = "orleansraw-tests-" + Guid.NewGuid().ToString("N")[..8];
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ServiceId = serviceId;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddOrleansRawGrains(configuration);
            silo.AddDashboard(); // as the Silo host does, so the API's /dashboard has silos reporting to it
            silo.AddActivityPropagation(); // as the Silo host does, so grain calls continue the API's traces
        });
        builder.ConfigureClient(client => client.AddActivityPropagation()); // as the library's hosted client does
        var cluster = builder.Build();
        await cluster.DeployAsync();
        var deployment = new Deployment(cluster, settings);
        _ = deployment.Api.Server; // start the API (and apply migrations) now, not inside the first test
        await deployment.WaitForReplicaSnapshotAsync();
        return deployment;
    }

    /// <summary>Waits until the replica monitor has published a snapshot with every replica healthy.</summary>
    public async Task WaitForReplicaSnapshotAsync()
    {
        var monitor = Grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var snapshot = await monitor.GetSnapshotAsync();
            if (snapshot.Replicas.Length == _replicas && snapshot.Replicas.All(r => r.Healthy))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the replica monitor never saw all {_replicas} replicas healthy");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the replica monitor's snapshot shows every replica at or past <paramref name="lsn"/>.</summary>
    public async Task WaitForMonitorToSeeReplayAsync(Lsn lsn)
    {
        var monitor = Grains.GetGrain<IReplicaMonitorGrain>(SingletonKeys.Cluster);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var snapshot = await monitor.GetSnapshotAsync();
            if (snapshot.Replicas.Length == _replicas && snapshot.Replicas.All(r => r.Healthy && r.ReplayLsn >= lsn))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the replica monitor never saw all {_replicas} replicas replay {lsn}");
            }

            await Task.Delay(20);
        }
    }

    public ApiClient CreateClient() => ApiClient.For(Api);

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>
    /// The Web API: wired to an in-process cluster's client when <paramref name="client"/> is given, otherwise an
    /// Orleans client of its own that finds the silos through Redis, as in production.
    /// </summary>
    public sealed class ApiFactory(IClusterClient? client, IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            if (client is not null)
            {
                builder.ConfigureTestServices(services =>
                {
                    services.AddSingleton(client);
                    services.AddSingleton<IGrainFactory>(client);
                });
            }
        }
    }
}
